import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDateTime } from '../../platform/views/views.ts';
import { breachClock, describeClock, formatDuration } from './breach-clock.ts';

const AWARE = '2025-11-24T09:00:00.000Z';
const hours = (n: number) => new Date(Date.parse(AWARE) + n * 3_600_000).toISOString();

describe('the 72-hour clock', () => {
  test('not reported: the time left, counted from when the council became aware', () => {
    const clock = breachClock({ awareAt: AWARE }, hours(10.5));
    assert.equal(clock.state, 'open');
    assert.equal(clock.deadline, '2025-11-27T09:00:00.000Z');
    const view = describeClock(clock, formatDateTime);
    assert.equal(view.tag, 'Not reported');
    assert.equal(view.text, '2 days 13 hours left to report to the ICO (by 27 November 2025 at 9am).');
    assert.equal(
      describeClock(breachClock({ awareAt: AWARE }, hours(71)), formatDateTime).tagClass,
      'govuk-tag--orange',
    );
  });

  test('at the deadline itself there is no time left, but it is not overdue', () => {
    const clock = breachClock({ awareAt: AWARE }, hours(72));
    assert.equal(clock.state, 'open');
    assert.equal(describeClock(clock, formatDateTime).text.startsWith('0 minutes left'), true);
  });

  test('overdue: by how long', () => {
    const clock = breachClock({ awareAt: AWARE }, hours(75.25));
    assert.equal(clock.state, 'overdue');
    const view = describeClock(clock, formatDateTime);
    assert.equal(view.tag, 'Overdue');
    assert.match(view.text, /^Overdue by 3 hours 15 minutes: the report to the ICO was due by 27 November 2025 at 9am/);
  });

  test('reported within 72 hours, whatever the time now', () => {
    const clock = breachClock({ awareAt: AWARE, initialReportAt: hours(27) }, hours(1000));
    assert.deepEqual(clock, {
      state: 'reported',
      awareAt: AWARE,
      deadline: hours(72),
      reportedAt: hours(27),
      onTime: true,
      lateMs: 0,
    });
    assert.equal(
      describeClock(clock, formatDateTime).text,
      'Reported to the ICO on 25 November 2025 at midday, within 72 hours.',
    );
  });

  test('reported late: how late', () => {
    const clock = breachClock({ awareAt: AWARE, initialReportAt: hours(100) }, hours(101));
    assert.equal(clock.state === 'reported' && clock.onTime, false);
    const view = describeClock(clock, formatDateTime);
    assert.equal(view.tag, 'Reported late');
    assert.match(view.text, /1 day 4 hours after the 72 hours ended/);
  });

  test('not reportable once the DPO decided it is unlikely to result in a risk; a report still counts', () => {
    assert.equal(breachClock({ awareAt: AWARE, decidedNotToReport: true }, hours(200)).state, 'not-required');
    assert.equal(
      breachClock({ awareAt: AWARE, decidedNotToReport: true, initialReportAt: hours(5) }, hours(200)).state,
      'reported',
    );
  });

  test('durations read as the two largest units', () => {
    assert.equal(formatDuration(59_999), '0 minutes');
    assert.equal(formatDuration(60_000), '1 minute');
    assert.equal(formatDuration(3_600_000), '1 hour');
    assert.equal(formatDuration(3_600_000 * 25 + 120_000), '1 day 1 hour');
    assert.equal(formatDuration(3_600_000 * 48), '2 days');
  });
});
