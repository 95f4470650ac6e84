import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { findOrganisationBySlug } from '../../platform/accounts/accounts.repository.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { createOrganisation } from '../../platform/testing/test-app.ts';
import { DEMO_INCIDENT_REFERENCE } from '../incidents/incident-demo.ts';
import { exportFileName } from './incident-timeline.routes.ts';
import { parseTimelineQuery, validateEntry, blankEntryInput } from './incident-timeline.service.ts';
import { fromLondon } from '../../platform/london-time.ts';
import { pdfSafeText } from './timeline-pdf.ts';

/** The text pdfkit drew: each TJ array's hex strings, one line per array, from the inflated page streams. */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  const streams = /stream\r?\n/g;
  for (let m = streams.exec(raw); m; m = streams.exec(raw)) {
    const end = raw.indexOf('endstream', m.index);
    let content: string;
    try {
      content = inflateSync(Buffer.from(raw.slice(m.index + m[0].length, end), 'latin1')).toString('latin1');
    } catch {
      continue; // not a deflated stream
    }
    for (const tj of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      const hex = [...(tj[1] ?? '').matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('');
      lines.push(Buffer.from(hex, 'hex').toString('latin1'));
    }
  }
  return lines.join('\n');
}

describeEachDatabase('incident timeline and decision log', (database) => {
  let t: DemoApp;
  let wcc: string;
  let incidentId: string;
  let timelineUrl: string;
  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    incidentId = t.incidentId;
    timelineUrl = `/staff/incidents/${incidentId}/timeline`;
  });
  after(async () => t.close());

  const staffClient = (role: Role, organisationId = wcc) => t.staffClient(role, organisationId);
  const when = { 'occurredAt-day': '3', 'occurredAt-month': '12', 'occurredAt-year': '2025', occurredTime: '10:15' };
  const entries = (kind: string) =>
    database()
      .db.selectFrom('timeline_entries')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .where('kind', '=', kind as 'note')
      .execute();
  const auditActions = async () =>
    (
      await database()
        .db.selectFrom('audit_events')
        .select(['action', 'details'])
        .where('target_id', '=', incidentId)
        .orderBy('seq')
        .execute()
    ).map((a) => ({ action: a.action, details: JSON.parse(a.details) as Record<string, unknown> }));
  // Entry titles in the order the page lists them.
  const titlesOn = (body: string) =>
    [...body.matchAll(/<h3 class="govuk-heading-s govuk-!-margin-bottom-1">([^<]*)<\/h3>/g)].map((m) => m[1]);

  test('an incident manager records a decision, an action and a note; they appear with their details and are audited', async () => {
    const manager = await staffClient('incident-manager');
    const form = await manager.get(`${timelineUrl}/new/decision`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /name="occurredAt-day" type="text" value="\d+"/, 'the time defaults to now');
    const decision = await manager.post(`${timelineUrl}/new/decision`, {
      title: 'Keep the shared network offline until forensic checks finish',
      decidedBy: 'Gold command',
      body: 'Reconnecting early risks reinfection.',
      alternatives: 'Reconnect Westminster only.\n\nReconnect everything at once.',
      ...when,
    });
    assert.equal(decision.statusCode, 303);
    assert.equal(decision.headers.location, `${timelineUrl}?saved=entry`);

    await manager.get(`${timelineUrl}/new/action`);
    const action = await manager.post(`${timelineUrl}/new/action`, {
      title: 'Brief the contact centre on scam calls',
      owner: 'Head of customer services',
      'dueDate-day': '5',
      'dueDate-month': '12',
      'dueDate-year': '2025',
      body: 'Use the approved script.',
      ...when,
    });
    assert.equal(action.statusCode, 303);

    await manager.get(`${timelineUrl}/new/note`);
    const note = await manager.post(`${timelineUrl}/new/note`, {
      title: 'Call with the ICO',
      body: 'The ICO asked for a <b>written</b> update by Friday.',
      'occurredAt-day': '',
      'occurredAt-month': '',
      'occurredAt-year': '',
      occurredTime: '',
    });
    assert.equal(note.statusCode, 303, 'clearing the time means now');

    const page = await manager.get(timelineUrl);
    assert.equal(page.statusCode, 200);
    const body = page.body;
    for (const text of [
      'Keep the shared network offline until forensic checks finish',
      'Gold command',
      'Reconnecting early risks reinfection.',
      '<p class="govuk-body">Reconnect Westminster only.</p>',
      'Brief the contact centre on scam calls',
      'Head of customer services',
      '5 December 2025',
      'No (overdue)',
      'Call with the ICO',
      'The ICO asked for a &lt;b&gt;written&lt;/b&gt; update by Friday.',
      '3 December 2025 at 10:15am',
      'Unusual activity detected',
    ]) {
      assert.ok(body.includes(text), text);
    }
    assert.match(body, /data-qa="overdue"/);
    const titles = titlesOn(body);
    assert.equal(titles[0], 'Call with the ICO', 'newest first: the note happened now');
    assert.equal(titles.at(-1), 'Unusual activity detected', 'the first demo event is last');

    const [stored] = await entries('decision');
    assert.equal(stored!.occurred_at, '2025-12-03T10:15:00.000Z');
    assert.equal(
      stored!.author_label,
      (
        await database()
          .db.selectFrom('users')
          .select('email')
          .where('id', '=', stored!.author_user_id!)
          .executeTakeFirstOrThrow()
      ).email,
    );
    assert.deepEqual(JSON.parse(stored!.details), {
      decidedBy: 'Gold command',
      alternatives: 'Reconnect Westminster only.\n\nReconnect everything at once.',
    });
    const [storedAction] = await entries('action');
    assert.deepEqual(JSON.parse(storedAction!.details), {
      owner: 'Head of customer services',
      dueDate: '2025-12-05',
      done: false,
    });
    const added = (await auditActions()).filter((a) => a.action === 'incident.timeline-entry-added');
    assert.deepEqual(
      added.map((a) => a.details['kind']),
      ['decision', 'action', 'note'],
    );
  });

  test('filtering by kind shows only that kind, with links that work without JavaScript; dates narrow it further', async () => {
    const manager = await staffClient('incident-manager');
    const all = await manager.get(timelineUrl);
    assert.match(all.body, new RegExp(`href="/staff/incidents/${incidentId}/timeline\\?kind=decision"`));

    const decisions = await manager.get(`${timelineUrl}?kind=decision`);
    assert.equal(decisions.statusCode, 200);
    const kinds = [...decisions.body.matchAll(/data-kind="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(kinds.length > 0);
    assert.deepEqual([...new Set(kinds)], ['decision']);
    assert.match(decisions.body, /<strong aria-current="page">Decisions<\/strong>/);

    const events = await manager.get(`${timelineUrl}?kind=event&from=2025-11-26&to=2025-12-01`);
    assert.deepEqual(titlesOn(events.body), [
      'Hammersmith &amp; Fulham update',
      'Data copied and taken',
      'Westminster shuts down its networks',
    ]);
    assert.match(events.body, /<input type="hidden" name="kind" value="event">/, 'the date form keeps the kind');

    const bad = await manager.get(`${timelineUrl}?from=2025-02-30`);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /From must be a real date/);
    assert.match(bad.body, /value="2025-02-30"/, 'what was typed is kept');
  });

  test('marking an action done is recorded as its own entry, once, and audited', async () => {
    const manager = await staffClient('incident-manager');
    await manager.get(`${timelineUrl}/new/action`);
    await manager.post(`${timelineUrl}/new/action`, {
      title: 'Restore the housing repairs line',
      owner: 'Shared IT',
      'dueDate-day': '1',
      'dueDate-month': '1',
      'dueDate-year': '2099',
      ...when,
    });
    const action = (await entries('action')).find((e) => e.title === 'Restore the housing repairs line')!;
    const before = await manager.get(`${timelineUrl}?kind=action`);
    assert.match(before.body, new RegExp(`action="/staff/incidents/${incidentId}/timeline/${action.id}/done"`));

    const done = await manager.post(`${timelineUrl}/${action.id}/done`);
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, `${timelineUrl}?saved=done`);
    const again = await manager.post(`${timelineUrl}/${action.id}/done`);
    assert.equal(again.statusCode, 303, 'marking it again is harmless');

    const after = await manager.get(`${timelineUrl}?kind=action`);
    assert.match(after.body, /Action done: Restore the housing repairs line/);
    assert.doesNotMatch(after.body, new RegExp(`/timeline/${action.id}/done`), 'no button once done');
    assert.match(after.body, /Yes, marked done/);
    const stored = (await entries('action')).filter((e) => e.title.includes('Restore the housing repairs line'));
    assert.equal(stored.length, 2, 'one completion entry');
    const details = JSON.parse(stored.find((e) => e.id === action.id)!.details) as Record<string, unknown>;
    assert.equal(details['done'], true);
    assert.equal(typeof details['doneAt'], 'string');
    const audited = (await auditActions()).filter((a) => a.action === 'incident.action-done');
    assert.deepEqual(
      audited.map((a) => a.details['entryId']),
      [action.id],
    );

    const event = (await entries('event'))[0]!;
    assert.equal((await manager.post(`${timelineUrl}/${event.id}/done`)).statusCode, 404, 'only actions can be done');
  });

  test('validation errors show the summary and field messages, and keep what was typed', async () => {
    const manager = await staffClient('incident-manager');
    await manager.get(`${timelineUrl}/new/decision`);
    const count = (await entries('decision')).length;
    const invalid = await manager.post(`${timelineUrl}/new/decision`, {
      title: 'Pay the <ransom>?',
      decidedBy: '',
      body: 'x'.repeat(5001),
      alternatives: 'Do nothing',
      'occurredAt-day': '30',
      'occurredAt-month': '2',
      'occurredAt-year': '2026',
      occurredTime: '25:00',
    });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /govuk-error-summary/);
    for (const message of [
      'Enter who made the decision',
      'Why must be 5000 characters or fewer',
      'The date must be a real date',
      'Enter the time it happened, like 14:30',
    ]) {
      assert.ok(invalid.body.includes(message), message);
    }
    assert.match(invalid.body, /id="decidedBy-error"/);
    assert.match(invalid.body, /href="#occurredAt-day"/);
    assert.match(invalid.body, /value="Pay the &lt;ransom&gt;\?"/, 'what was typed is kept, escaped');
    assert.match(invalid.body, />Do nothing<\/textarea>/);
    assert.match(invalid.body, /name="occurredAt-day" type="text" value="30"/);

    const future = await manager.post(`${timelineUrl}/new/note`, {
      title: 'Later',
      body: 'Not yet',
      'occurredAt-day': '1',
      'occurredAt-month': '1',
      'occurredAt-year': '2099',
      occurredTime: '09:00',
    });
    assert.equal(future.statusCode, 400);
    assert.match(future.body, /must be in the past/);
    assert.equal((await entries('decision')).length, count, 'nothing was stored');
    assert.equal((await manager.get(`${timelineUrl}/new/event`)).statusCode, 404, 'events are not typed in');
  });

  test('a comms officer sees the timeline but cannot add to it; other organisations get 404', async () => {
    const comms = await staffClient('comms');
    const page = await comms.get(timelineUrl);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Unusual activity detected/);
    assert.doesNotMatch(page.body, /Record a decision/);
    assert.doesNotMatch(page.body, /data-qa="mark-done"/);
    assert.equal((await comms.get(`${timelineUrl}/new/note`)).statusCode, 403);
    assert.equal((await comms.post(`${timelineUrl}/new/note`, { title: 'x', body: 'y' })).statusCode, 403);
    const action = (await entries('action'))[0]!;
    assert.equal((await comms.post(`${timelineUrl}/${action.id}/done`)).statusCode, 403);

    const elsewhere = await createOrganisation(database(), 'elsewhere');
    const outsider = await staffClient('incident-manager', elsewhere.id);
    assert.equal((await outsider.get(timelineUrl)).statusCode, 404);
    assert.equal((await outsider.get(`${timelineUrl}/new/note`)).statusCode, 404);
    assert.equal((await outsider.get(`${timelineUrl}/export.pdf`)).statusCode, 404);
    await outsider.get('/staff');
    assert.equal((await outsider.post(`${timelineUrl}/new/note`, { title: 'x', body: 'y', ...when })).statusCode, 404);
    const investigator = await staffClient(
      'incident-manager',
      (await findOrganisationBySlug(database().db, 'met-police'))!.id,
    );
    assert.equal((await investigator.get(timelineUrl)).statusCode, 404, 'an investigating agency has no access here');
  });

  test('the HTML export is a standalone document with every entry, oldest first, and is audited', async () => {
    const comms = await staffClient('comms');
    const response = await comms.get(`${timelineUrl}/export.html`);
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.equal(
      response.headers['content-disposition'],
      `inline; filename="timeline-${DEMO_INCIDENT_REFERENCE}.html"`,
    );
    assert.match(String(response.headers['content-security-policy']), /script-src 'self'/);
    const body = response.body;
    assert.doesNotMatch(body, /<script|style="|<nav|Sign out/, 'no scripts, no inline styles, no navigation');
    assert.match(body, new RegExp(DEMO_INCIDENT_REFERENCE));
    const stored = await database()
      .db.selectFrom('timeline_entries')
      .select(['title', 'occurred_at', 'id'])
      .where('incident_id', '=', incidentId)
      .orderBy('occurred_at')
      .orderBy('id')
      .execute();
    const shown = [...body.matchAll(/<h2 class="govuk-heading-s govuk-!-margin-bottom-1">([^<]*)<\/h2>/g)].map((m) =>
      (m[1] ?? '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'"),
    );
    assert.deepEqual(
      shown,
      stored.map((s) => s.title),
    );
    assert.match(body, /Decided by/);
    const exports = (await auditActions()).filter((a) => a.action === 'incident.timeline-exported');
    assert.deepEqual(exports.at(-1)?.details, { format: 'html', entries: stored.length });
  });

  test('the PDF export is a real PDF with the reference and the decisions, and is audited', async () => {
    const manager = await staffClient('incident-manager');
    const response = await manager.get(`${timelineUrl}/export.pdf`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/pdf');
    assert.equal(
      response.headers['content-disposition'],
      `attachment; filename="timeline-${DEMO_INCIDENT_REFERENCE}.pdf"`,
    );
    const pdf = response.rawPayload;
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(pdf.subarray(-8).toString('latin1'), /%%EOF\s*$/);
    assert.match(pdf.toString('latin1'), /\/MediaBox \[0 0 595\.28 841\.89\]/, 'A4');
    const text = pdfText(pdf);
    assert.match(text, new RegExp(`Incident reference: ${DEMO_INCIDENT_REFERENCE}`));
    assert.match(text, /Keep the shared network offline until forensic checks finish/);
    assert.match(text, /Decided by: Gold command/);
    assert.ok(text.indexOf('Unusual activity detected') < text.indexOf('Letters to households'), 'oldest first');
    // Where poppler is installed, a real PDF reader must agree.
    const poppler = spawnSync('pdftotext', ['-', '-'], { input: pdf });
    if (!poppler.error) {
      assert.equal(poppler.status, 0);
      assert.match(poppler.stdout.toString('utf8'), new RegExp(DEMO_INCIDENT_REFERENCE));
    }
    const exports = (await auditActions()).filter((a) => a.action === 'incident.timeline-exported');
    assert.equal(exports.at(-1)?.details['format'], 'pdf');
  });
});

test('dates typed in UK time are stored in UTC across the clock change', () => {
  assert.equal(fromLondon(2025, 12, 3, 10, 15), '2025-12-03T10:15:00.000Z');
  assert.equal(fromLondon(2025, 7, 1, 9, 0), '2025-07-01T08:00:00.000Z');
  const range = parseTimelineQuery({ from: '2025-06-01', to: '2025-06-30', kind: ['note', 'bogus', 'note'] });
  assert.deepEqual(range.kinds, ['note']);
  assert.deepEqual(range.range, { from: '2025-05-31T23:00:00.000Z', before: '2025-06-30T23:00:00.000Z' });
  const now = '2026-03-29T12:00:00.000Z';
  const checked = validateEntry('note', { ...blankEntryInput(now), title: 'a', body: 'b' }, now);
  assert.ok(checked.ok);
  assert.equal(checked.occurredAt, '2026-03-29T12:00:00.000Z', 'the default is the minute the form opened');
});

test('export file names and PDF text are safe', () => {
  assert.equal(exportFileName('INC-2025-11-WLC', 'pdf'), 'timeline-INC-2025-11-WLC.pdf');
  assert.equal(exportFileName('../a"b\r\nc', 'html'), 'timeline-a-b-c.html');
  assert.equal(exportFileName('"""', 'html'), 'timeline-incident.html');
  assert.equal(pdfSafeText('Café — “ok” 北京 🙂\r\n'), 'Café — “ok” ?? ?\n');
});
