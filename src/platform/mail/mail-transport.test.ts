import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { PermanentDeliveryError } from './mail-sender.ts';
import { createMailSender, MailNotConfiguredError } from './mail-transport.ts';
import { createNotifyClient } from './notify-client.ts';
import type { OutboundMessage } from './outbound-message.ts';
import { GENERIC_EMAIL_TEMPLATE_ID, startFakeNotify, type FakeNotify } from './test-fixtures/fake-notify.ts';
import { startSmtpTestServer, type SmtpTestServer } from './test-fixtures/smtp-test-server.ts';

let notify: FakeNotify;
let smtp: SmtpTestServer;
before(async () => {
  [notify, smtp] = await Promise.all([startFakeNotify(), startSmtpTestServer()]);
});
after(() => Promise.all([notify.close(), smtp.close()]));
beforeEach(() => {
  notify.reset();
  smtp.reset();
});

const message: OutboundMessage = {
  to: 'resident@example.org.uk',
  subject: 'Confirm your subscription to updates',
  text: 'Confirm at https://www.westminster.gov.uk/updates/confirm/0196f1c2\n',
  html: '<p>Confirm</p>',
  reference: 'WCC-SUB-8H3K',
  headers: {
    'List-Unsubscribe': '<mailto:unsubscribe@westminster.gov.uk>, <https://www.westminster.gov.uk/updates/u/0196f1c2>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
};

test('with a Notify key and a generic template, email goes through Notify as subject and body', async () => {
  const sender = createMailSender(
    { notifyApiKey: notify.apiKey, smtp: smtp.config },
    { notifyEmailTemplateId: GENERIC_EMAIL_TEMPLATE_ID, notifyBaseUrl: notify.baseUrl },
  );
  assert.equal(sender.transport, 'notify');
  const { providerId } = await sender.send(message);

  assert.equal(smtp.received.length, 0);
  assert.equal(notify.requests.length, 1);
  assert.deepEqual(notify.requests[0]!.body, {
    template_id: GENERIC_EMAIL_TEMPLATE_ID,
    email_address: 'resident@example.org.uk',
    personalisation: {
      subject: 'Confirm your subscription to updates',
      body: 'Confirm at https://www.westminster.gov.uk/updates/confirm/0196f1c2\n',
    },
    reference: 'WCC-SUB-8H3K',
    one_click_unsubscribe_url: 'https://www.westminster.gov.uk/updates/u/0196f1c2',
  });
  // The provider id is Notify's own notification id, so its status can be looked up later.
  const found = await createNotifyClient({ apiKey: notify.apiKey, baseUrl: notify.baseUrl }).getNotification(
    providerId,
  );
  assert.equal(found.reference, 'WCC-SUB-8H3K');
});

test('Notify’s refusal is the same permanent failure as an SMTP one', async () => {
  const sender = createMailSender(
    { notifyApiKey: notify.apiKey, smtp: undefined },
    { notifyEmailTemplateId: '9d5c2b1a-0000-4000-8000-000000000000', notifyBaseUrl: notify.baseUrl },
  );
  await assert.rejects(sender.send(message), PermanentDeliveryError);
});

test('without a Notify template, email goes through SMTP even when a Notify key is set', async () => {
  const sender = createMailSender({ notifyApiKey: notify.apiKey, smtp: smtp.config });
  assert.equal(sender.transport, 'smtp');
  const { providerId } = await sender.send(message);
  assert.equal(notify.requests.length, 0);
  assert.equal(smtp.received.length, 1);
  assert.equal(smtp.received[0]!.header('Message-ID'), providerId);
  assert.equal(smtp.received[0]!.header('X-Wardroom-Reference'), 'WCC-SUB-8H3K');
});

test('with no transport the platform still starts, and each send says what to configure', async () => {
  const sender = createMailSender({ notifyApiKey: undefined, smtp: undefined });
  assert.equal(sender.transport, 'none');
  await assert.rejects(sender.send(message), (error: unknown) => {
    assert.ok(error instanceof MailNotConfiguredError);
    assert.ok(error instanceof PermanentDeliveryError);
    assert.equal(
      error.message,
      'No mail transport is configured: set SMTP_HOST and SMTP_FROM, or NOTIFY_API_KEY and NOTIFY_EMAIL_TEMPLATE_ID',
    );
    return true;
  });
  const keyOnly = createMailSender({ notifyApiKey: notify.apiKey, smtp: undefined });
  await assert.rejects(keyOnly.send(message), /NOTIFY_API_KEY is set but NOTIFY_EMAIL_TEMPLATE_ID/);
});
