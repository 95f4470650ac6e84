import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { spreadsheetDateTime } from './breach-register.ts';

describe('the breach register as CSV', () => {
  test('times are UK time, sortable as text', () => {
    assert.equal(spreadsheetDateTime('2025-11-24T09:00:00.000Z'), '2025-11-24 09:00');
    assert.equal(spreadsheetDateTime('2025-07-01T08:00:00.000Z'), '2025-07-01 09:00');
  });
});
