import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDate, formatDateTime, paragraphs } from './views.ts';

test('dates and times are written in the GOV.UK style, in UK time', () => {
  assert.equal(formatDateTime('2026-11-26T14:15:00.000Z'), '26 November 2026 at 2:15pm');
  assert.equal(formatDateTime('2026-11-26T09:00:00.000Z'), '26 November 2026 at 9am');
  assert.equal(formatDateTime('2026-11-26T12:00:00.000Z'), '26 November 2026 at midday');
  assert.equal(formatDateTime('2026-11-26T00:00:00.000Z'), '26 November 2026 at midnight');
  // British Summer Time: 11:30 UTC is 12:30pm in London, and 23:30 UTC the next day's 12:30am.
  assert.equal(formatDateTime('2026-07-01T11:30:00.000Z'), '1 July 2026 at 12:30pm');
  assert.equal(formatDateTime('2026-07-01T23:30:00.000Z'), '2 July 2026 at 12:30am');
  assert.equal(formatDate('2026-07-01T23:30:00.000Z'), '2 July 2026');
  for (const nothing of ['', 'not a date', undefined, null, 42]) {
    assert.equal(formatDateTime(nothing), '');
    assert.equal(formatDate(nothing), '');
  }
});

test('text typed by staff becomes escaped paragraphs', () => {
  assert.equal(
    paragraphs('Call us <now>.\nLines stay.\n\n  Second & last.  '),
    '<p class="govuk-body">Call us &lt;now&gt;.<br>Lines stay.</p>\n<p class="govuk-body">Second &amp; last.</p>',
  );
  assert.equal(paragraphs('   '), '');
});
