import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedEmailText } from './signed-email-text.ts';

test('a signed email: greeting, paragraphs, never-asks line, verification reference and council name, a blank line between', () => {
  const text = signedEmailText({
    greeting: 'Hello,',
    paragraphs: ['First.', 'A list:\n- one\n- two'],
    neverAsks: 'We will never ask for a password.',
    verificationReference: 'WR-1234',
    councilName: 'Testshire Council',
  });
  assert.equal(
    text,
    'Hello,\n\nFirst.\n\nA list:\n- one\n- two\n\nWe will never ask for a password.\n\nVerification reference: WR-1234\n\nTestshire Council\n',
  );
});
