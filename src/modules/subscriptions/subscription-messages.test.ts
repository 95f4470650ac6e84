import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SMS_LENGTH, parseOutboundSms } from '../../platform/sms/outbound-sms.ts';
import { newVerificationReference } from '../../platform/mail/verification-reference.ts';
import { confirmationSms, updateSms } from './subscription-messages.ts';

const longLink = (path: string) =>
  `https://${'cyber-incident-information.'.repeat(4)}westminster.gov.uk/${path}/${'x'.repeat(43)}`;

test('an update by text keeps within the length limit by shortening the title, never the links', () => {
  const message = updateSms({
    to: '+447700900982',
    councilName: 'Royal Borough of Kensington and Chelsea',
    title: `Council tax ${'and business rates '.repeat(6)}`.slice(0, 120),
    corrected: true,
    updateUrl: longLink('updates'),
    unsubscribeUrl: longLink('unsubscribe'),
    reference: newVerificationReference(),
  });
  assert.ok(message.body.length <= MAX_SMS_LENGTH, `${message.body.length} characters`);
  assert.match(
    message.body,
    /^Royal Borough of Kensington and Chelsea cyber incident corrected update: Council tax and/,
  );
  assert.match(message.body, /…\n/);
  assert.ok(message.body.includes(`Read it at ${longLink('updates')}\n`));
  assert.ok(message.body.endsWith(`Stop these texts: ${longLink('unsubscribe')}`));
  // What the job queue will accept.
  assert.deepEqual(parseOutboundSms(message), message);
});

test('a short update by text is sent whole, and a confirmation text names the council and carries a reference', () => {
  const reference = newVerificationReference();
  assert.match(reference, /^WR-[A-Z2-7]{8}$/);
  const update = updateSms({
    to: '+447700900982',
    councilName: 'Westminster City Council',
    title: 'Libraries are open',
    corrected: false,
    updateUrl: 'https://example.gov.uk/u',
    unsubscribeUrl: 'https://example.gov.uk/x',
    reference,
  });
  assert.match(update.body, /^Westminster City Council cyber incident update: Libraries are open\n/);
  const confirm = confirmationSms({
    to: '+447700900982',
    councilName: 'Westminster City Council',
    confirmUrl: 'https://example.gov.uk/c',
    reference,
  });
  assert.match(confirm.body, /^Westminster City Council: someone asked for text updates/);
  assert.ok(confirm.body.endsWith(`Ref ${reference}`));
});
