import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { PermanentDeliveryError, TemporaryDeliveryError } from './mail-sender.ts';
import { createNotifyClient, parseNotifyApiKey, type NotifyEmailRequest } from './notify-client.ts';
import { InvalidMessageError } from './outbound-message.ts';
import {
  FROM_EMAIL,
  GENERIC_EMAIL_TEMPLATE_ID,
  SMS_TEMPLATE_ID,
  startFakeNotify,
  type FakeNotify,
} from './test-fixtures/fake-notify.ts';

let notify: FakeNotify;
before(async () => {
  notify = await startFakeNotify();
});
after(() => notify.close());
beforeEach(() => notify.reset());

const client = () => createNotifyClient({ apiKey: notify.apiKey, baseUrl: notify.baseUrl });

const email: NotifyEmailRequest = {
  templateId: GENERIC_EMAIL_TEMPLATE_ID,
  emailAddress: 'resident@example.org.uk',
  personalisation: {
    subject: 'Cyber incident update',
    body: 'Council tax payments can be made again.',
  },
  reference: 'WCC-7K2F-9QXD',
};

/** Asserts the promise rejects with the given class, and returns the error for further checks. */
async function rejection<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but it resolved`);
}

test('an email is sent through the template, with a token Notify accepts', async () => {
  const replyToId = randomUUID();
  const sent = await client().sendEmail({
    ...email,
    emailReplyToId: replyToId,
    oneClickUnsubscribeUrl: 'https://www.westminster.gov.uk/updates/unsubscribe/0196f1c2',
  });

  assert.equal(notify.requests.length, 1);
  const [request] = notify.requests;
  assert.equal(request!.status, 201);
  assert.equal(request!.path, '/v2/notifications/email');
  assert.deepEqual(request!.body, {
    template_id: GENERIC_EMAIL_TEMPLATE_ID,
    email_address: 'resident@example.org.uk',
    personalisation: { subject: 'Cyber incident update', body: 'Council tax payments can be made again.' },
    reference: 'WCC-7K2F-9QXD',
    email_reply_to_id: replyToId,
    one_click_unsubscribe_url: 'https://www.westminster.gov.uk/updates/unsubscribe/0196f1c2',
  });
  assert.match(sent.id, /^[0-9a-f-]{36}$/);
  assert.equal(sent.reference, 'WCC-7K2F-9QXD');
  assert.equal(sent.uri, `${notify.baseUrl}/v2/notifications/${sent.id}`);
  assert.deepEqual(sent.template, {
    id: GENERIC_EMAIL_TEMPLATE_ID,
    version: 3,
    uri: `${notify.baseUrl}/services/${notify.serviceId}/templates/${GENERIC_EMAIL_TEMPLATE_ID}`,
  });
  assert.deepEqual(sent.content, {
    subject: 'Cyber incident update',
    body: 'Council tax payments can be made again.',
    fromEmail: FROM_EMAIL,
    fromNumber: undefined,
  });
});

test('a text message is sent, and a notification can be looked up by its id', async () => {
  const sent = await client().sendSms({
    templateId: SMS_TEMPLATE_ID,
    phoneNumber: '07700 900123',
    personalisation: { message: 'our helpline is 0207 641 1919' },
    reference: 'WCC-SMS-4D7Q',
  });
  assert.equal(sent.content.body, 'Westminster City Council: our helpline is 0207 641 1919');
  assert.equal(sent.content.fromNumber, 'WCC');
  assert.deepEqual(notify.requests[0]!.body, {
    template_id: SMS_TEMPLATE_ID,
    phone_number: '07700 900123',
    personalisation: { message: 'our helpline is 0207 641 1919' },
    reference: 'WCC-SMS-4D7Q',
  });

  const found = await client().getNotification(sent.id);
  assert.equal(found.id, sent.id);
  assert.equal(found.type, 'sms');
  assert.equal(found.status, 'delivered');
  assert.equal(found.reference, 'WCC-SMS-4D7Q');
  assert.equal(notify.requests[1]!.method, 'GET');

  const missing = await rejection(client().getNotification(randomUUID()), PermanentDeliveryError);
  assert.equal(missing.status, 404);
  assert.match(missing.message, /NoResultFound: No result found/);
});

test('a token signed with the wrong secret, or for another service, is refused and is permanent', async () => {
  const wrongSecret = createNotifyClient({
    apiKey: `wardroom-test-key-${notify.serviceId}-${randomUUID()}`,
    baseUrl: notify.baseUrl,
  });
  const refused = await rejection(wrongSecret.sendEmail(email), PermanentDeliveryError);
  assert.equal(refused.status, 403);
  assert.match(refused.message, /AuthError: Invalid token: signature, api token not found/);

  const otherService = createNotifyClient({
    apiKey: `wardroom-test-key-${randomUUID()}-${notify.secretKey}`,
    baseUrl: notify.baseUrl,
  });
  const unknown = await rejection(otherService.sendEmail(email), PermanentDeliveryError);
  assert.match(unknown.message, /Invalid token: service not found/);
  assert.deepEqual(
    notify.requests.map((r) => r.status),
    [403, 403],
  );
});

test('an unknown template is a permanent failure that carries Notify’s reason', async () => {
  const error = await rejection(client().sendEmail({ ...email, templateId: randomUUID() }), PermanentDeliveryError);
  assert.equal(error.provider, 'notify');
  assert.equal(error.status, 400);
  assert.equal(
    error.message,
    'GOV.UK Notify answered 400 to POST /v2/notifications/email: BadRequestError: Template not found',
  );

  const missing = await rejection(
    client().sendEmail({ ...email, personalisation: { subject: 'Only a subject' } }),
    PermanentDeliveryError,
  );
  assert.match(missing.message, /Missing personalisation: body/);
});

test('a rate limit or a server error is temporary, and the client does not try again by itself', async () => {
  notify.answerNext(429, {
    status_code: 429,
    errors: [
      { error: 'RateLimitError', message: 'Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds' },
    ],
  });
  const limited = await rejection(client().sendEmail(email), TemporaryDeliveryError);
  assert.equal(limited.status, 429);
  assert.match(limited.message, /RateLimitError: Exceeded rate limit/);
  assert.equal(notify.requests.length, 1);

  notify.answerNext(500, { status_code: 500, errors: [{ error: 'Exception', message: 'Internal server error' }] });
  const failed = await rejection(client().sendEmail(email), TemporaryDeliveryError);
  assert.equal(failed.status, 500);
  assert.equal(notify.requests.length, 2);

  // Both answers were used up; the next request is sent normally.
  await client().sendEmail(email);
  assert.equal(notify.requests.length, 3);
});

test('Notify that cannot be reached is temporary', async () => {
  const closedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const unreachable = createNotifyClient({ apiKey: notify.apiKey, baseUrl: `http://127.0.0.1:${closedPort}` });
  const error = await rejection(unreachable.sendEmail(email), TemporaryDeliveryError);
  assert.match(error.message, /GOV.UK Notify could not be reached \(POST \/v2\/notifications\/email\)/);
});

test('an accepted send whose answer cannot be read is permanent, so it is not sent twice', async () => {
  notify.answerNext(201, '<html>Gateway</html>');
  const error = await rejection(client().sendEmail(email), PermanentDeliveryError);
  assert.match(error.message, /may have been sent: check GOV.UK Notify before sending again/);
});

test('a reference that could hold personal data, or a file in the personalisation, never reaches Notify', async () => {
  for (const reference of ['resident@example.org.uk', '07700900123', 'Jane Smith']) {
    await rejection(client().sendEmail({ ...email, reference }), InvalidMessageError);
  }
  const withFile = {
    ...email,
    personalisation: { subject: 's', body: 'b', link_to_file: { file: 'JVBERi0=', filename: 'notice.pdf' } },
  } as unknown as NotifyEmailRequest;
  const error = await rejection(client().sendEmail(withFile), InvalidMessageError);
  assert.deepEqual(error.problems, [
    'the personalisation "link_to_file" must be text, a number or a list of text (no files)',
  ]);
  await rejection(client().sendEmail({ ...email, templateId: 'generic-email' }), InvalidMessageError);
  await rejection(
    client().sendEmail({ ...email, oneClickUnsubscribeUrl: 'http://example.org.uk/u' }),
    InvalidMessageError,
  );
  assert.equal(notify.requests.length, 0);
});

test('an API key is split from the end, because its name may contain hyphens', () => {
  const serviceId = randomUUID();
  const secretKey = randomUUID();
  assert.deepEqual(parseNotifyApiKey(`wardroom-live-key-${serviceId}-${secretKey}`), {
    keyName: 'wardroom-live-key',
    serviceId,
    secretKey,
  });
  assert.throws(() => parseNotifyApiKey(`${serviceId}-${secretKey}`), InvalidMessageError);
  assert.throws(() => parseNotifyApiKey(`key-${serviceId}-not-a-secret`), InvalidMessageError);
});

test('the token is only ever sent over https, except to this machine', () => {
  assert.throws(
    () => createNotifyClient({ apiKey: notify.apiKey, baseUrl: 'http://api.notifications.service.gov.uk' }),
    /must use https:\/\//,
  );
  assert.doesNotThrow(() => createNotifyClient({ apiKey: notify.apiKey }));
});
