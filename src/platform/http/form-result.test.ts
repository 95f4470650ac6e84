import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reasonError } from './form-result.ts';

test('a reason must be given, and be no longer than its limit', () => {
  assert.deepEqual(reasonError('', 'Enter what needs to change', 2000), {
    text: 'Enter what needs to change',
    href: '#reason',
  });
  assert.equal(reasonError('The helpline number is wrong', 'Enter what needs to change', 2000), undefined);
  assert.equal(reasonError('x'.repeat(2000), 'Enter what needs to change', 2000), undefined);
  assert.deepEqual(reasonError('x'.repeat(2001), 'Enter what needs to change', 2000), {
    text: 'The reason must be 2,000 characters or fewer',
    href: '#reason',
  });
});
