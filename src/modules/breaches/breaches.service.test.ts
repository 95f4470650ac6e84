import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { AuditActor } from '../../platform/audit/audit.service.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { newId } from '../../platform/ids.ts';
import type { Principal } from '../../platform/policy/policy.ts';
import { createOrganisation } from '../../platform/testing/test-app.ts';
import { insertIncident, linkOrganisation } from '../incidents/incidents.repository.ts';
import { validInput } from './breach-record.test-support.ts';
import { createBreachesService, type BreachesService } from './breaches.service.ts';

const AWARE = '2026-02-03T14:30:00.000Z';
const hoursAfterAware = (n: number) => new Date(Date.parse(AWARE) + n * 3_600_000).toISOString();

// The service is given the time, so the clock is checked at fixed moments instead of by waiting.
describeEachDatabase('breach records: the 72-hour clock at fixed times', (database) => {
  let now = hoursAfterAware(1);
  let service: BreachesService;
  let dpo: Principal;
  let breachId = '';
  const actor: AuditActor = { userId: null, label: 'dpo@council.example' };

  before(async () => {
    const council = await createOrganisation(database(), 'clock-council');
    const incidentId = newId();
    await insertIncident(database().db, {
      id: incidentId,
      reference: 'INC-CLOCK',
      title: 'Clock test',
      status: 'investigating',
      severity: 'high',
      lead_organisation_id: council.id,
      detected_at: AWARE,
      declared_at: null,
      summary: 'Something happened.',
      data_affected: '',
      data_categories: '[]',
      advice: '',
      restoration_outlook: '',
      created_at: AWARE,
      updated_at: AWARE,
    });
    await linkOrganisation(database().db, incidentId, council.id, 'affected');
    service = createBreachesService(database().db, { now: () => now });
    dpo = { userId: 'u-dpo', email: 'dpo@council.example', memberships: [{ organisationId: council.id, role: 'dpo' }] };
    const created = await service.createRecord(
      dpo,
      actor,
      incidentId,
      'clock-council',
      validInput({ awareDay: '3', awareMonth: '2', awareYear: '2026', awareTime: '14:30' }),
    );
    assert.ok(created.ok, JSON.stringify(created));
    breachId = created.breachId;
  });

  const clock = async () => {
    const [council] = await service.dashboard(dpo);
    return council!.entries.find((e) => e.record.id === breachId)!.clock;
  };

  test('ten hours after becoming aware: not reported, 62 hours left', async () => {
    now = hoursAfterAware(10);
    const c = await clock();
    assert.equal(c.state, 'open');
    assert.equal(c.state === 'open' && c.remainingMs, 62 * 3_600_000);
  });

  test('eighty hours after: overdue by eight hours', async () => {
    now = hoursAfterAware(80);
    const c = await clock();
    assert.equal(c.state, 'overdue');
    assert.equal(c.state === 'overdue' && c.overdueMs, 8 * 3_600_000);
  });

  test('a report sent after 72 hours needs the reasons for the delay, then the clock shows it was late', async () => {
    now = hoursAfterAware(81);
    const version = (await service.details(dpo, actor, breachId)).record.version;
    const sent = { day: '6', month: '2', year: '2026', time: '22:30', icoReference: 'IC-1', notes: '' };
    const refused = await service.recordSubmission(dpo, actor, breachId, version, { ...sent, delayReason: ' ' });
    assert.equal(refused.ok, false);
    assert.deepEqual(!refused.ok && refused.errors.map((e) => e.href), ['#delayReason']);
    const future = await service.recordSubmission(dpo, actor, breachId, version, {
      ...sent,
      time: '23:45',
      delayReason: 'Late.',
    });
    assert.deepEqual(!future.ok && future.errors.map((e) => e.text), [
      'The date and time the report was sent must be in the past',
    ]);
    const recorded = await service.recordSubmission(dpo, actor, breachId, version, {
      ...sent,
      delayReason: 'The officer reported the theft late.',
    });
    assert.ok(recorded.ok);
    now = hoursAfterAware(500);
    const c = await clock();
    assert.equal(c.state, 'reported');
    assert.equal(c.state === 'reported' && c.onTime, false);
    assert.equal(c.state === 'reported' && c.lateMs, 8 * 3_600_000);
  });
});
