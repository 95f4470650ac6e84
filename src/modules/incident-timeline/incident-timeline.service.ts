// The incident's timeline and decision log: decisions, actions and notes that incident managers
// record beside the events, record changes and service changes the platform writes, and the
// timeline exported for the post-incident review. Who may see or add follows the incident itself
// (its lead and affected councils). Decision and action fields live in the entry's details JSON;
// for a decision the body holds why it was made.
import type { Kysely } from 'kysely';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError, Result } from '../../platform/http/form-result.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import type { Principal } from '../../platform/policy/policy.ts';
import { formatDate, formatDateTime } from '../../platform/views/views.ts';
import { insertTimelineEntry, type Incident, type TimelineEntry } from '../incidents/incidents.repository.ts';
import { createIncidentsService } from '../incidents/incidents.service.ts';
import * as repo from './incident-timeline.repository.ts';
import { fromLondon, isRealDate, londonDate, londonParts } from '../../platform/london-time.ts';

export type TimelineKind = repo.TimelineKind;
/** The kinds staff write by hand; the others the platform records as things change. */
export type AuthoredKind = 'decision' | 'action' | 'note';

export const KIND_NAMES: Record<TimelineKind, { one: string; many: string }> = {
  event: { one: 'Event', many: 'Events' },
  decision: { one: 'Decision', many: 'Decisions' },
  action: { one: 'Action', many: 'Actions' },
  note: { one: 'Note', many: 'Notes' },
  'record-change': { one: 'Record change', many: 'Record changes' },
  'service-change': { one: 'Service change', many: 'Service changes' },
};

export const AUTHORED_KINDS: readonly AuthoredKind[] = ['decision', 'action', 'note'];

export function isAuthoredKind(value: string): value is AuthoredKind {
  return (AUTHORED_KINDS as readonly string[]).includes(value);
}

export function isTimelineKind(value: string): value is TimelineKind {
  return Object.hasOwn(KIND_NAMES, value);
}

export const LIMITS = { title: 200, name: 200, text: 5000 };

/** What a person typed into the form for a decision, an action or a note. */
export interface EntryInput {
  title: string;
  body: string;
  /** Decisions: who made it. */
  decidedBy: string;
  /** Decisions: the other options and why they were not taken. */
  alternatives: string;
  /** Actions: who will do it. */
  owner: string;
  /** Actions: the due date, as typed in the three date boxes. */
  dueDay: string;
  dueMonth: string;
  dueYear: string;
  /** Actions: already done when recorded. */
  done: boolean;
  /** When it happened, in UK time, as typed. */
  occurredDay: string;
  occurredMonth: string;
  occurredYear: string;
  /** HH:MM, 24-hour clock. */
  occurredTime: string;
}

export interface DecisionDetails {
  decidedBy: string;
  alternatives: string;
}

export interface ActionDetails {
  owner: string;
  /** YYYY-MM-DD. */
  dueDate: string;
  done: boolean;
  doneAt?: string;
  doneBy?: string;
}

/** One entry ready to show: its kind in words and its kind-specific facts as label and value. */
export interface EntryView extends TimelineEntry {
  kindText: string;
  /** The prose shown under the title (for a decision its reason appears as a fact instead). */
  bodyText: string;
  facts: Array<{ label: string; value: string }>;
  /** An action not yet done, which a manager can mark done. */
  openAction: boolean;
  overdue: boolean;
}

/** The empty form, with the time it happened set to now (in UK time). */
export function blankEntryInput(now: string = nowIso()): EntryInput {
  const p = londonParts(now);
  return {
    title: '',
    body: '',
    decidedBy: '',
    alternatives: '',
    owner: '',
    dueDay: '',
    dueMonth: '',
    dueYear: '',
    done: false,
    occurredDay: String(p.day),
    occurredMonth: String(p.month),
    occurredYear: String(p.year),
    occurredTime: `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`,
  };
}

type DateCheck = { ok: true; year: number; month: number; day: number } | { ok: false; problem: 'missing' | 'invalid' };

function checkDate(day: string, month: string, year: string): DateCheck {
  const [d, m, y] = [day, month, year].map((v) => v.trim());
  if (!d && !m && !y) return { ok: false, problem: 'missing' };
  if (![d, m, y].every((v) => /^\d{1,4}$/.test(v as string)) || (y as string).length !== 4) {
    return { ok: false, problem: 'invalid' };
  }
  const [dn, mn, yn] = [Number(d), Number(m), Number(y)];
  if (yn < 2000 || !isRealDate(yn, mn, dn)) return { ok: false, problem: 'invalid' };
  return { ok: true, year: yn, month: mn, day: dn };
}

function checkLength(errors: FieldError[], value: string, max: number, href: string, name: string): void {
  if (value.length > max) errors.push({ text: `${name} must be ${max} characters or fewer`, href });
}

/** Checks what was typed; gives the field errors, or the stored fields of the new entry. */
export function validateEntry(
  kind: AuthoredKind,
  input: EntryInput,
  now: string = nowIso(),
): { ok: false; errors: FieldError[] } | { ok: true; occurredAt: string; details: Record<string, unknown> } {
  const errors: FieldError[] = [];
  const titleWords = { decision: 'what was decided', action: 'what needs to be done', note: 'a title' }[kind];
  if (!input.title.trim()) errors.push({ text: `Enter ${titleWords}`, href: '#title' });
  else checkLength(errors, input.title, LIMITS.title, '#title', kind === 'note' ? 'Title' : 'This');

  if (kind === 'decision') {
    if (!input.decidedBy.trim()) errors.push({ text: 'Enter who made the decision', href: '#decidedBy' });
    else checkLength(errors, input.decidedBy, LIMITS.name, '#decidedBy', 'Who decided');
  }
  if (kind === 'action') {
    if (!input.owner.trim()) errors.push({ text: 'Enter who owns the action', href: '#owner' });
    else checkLength(errors, input.owner, LIMITS.name, '#owner', 'Owner');
  }
  if (kind === 'decision' && !input.body.trim()) {
    errors.push({ text: 'Enter why the decision was made', href: '#body' });
  } else if (kind === 'note' && !input.body.trim()) {
    errors.push({ text: 'Enter the note', href: '#body' });
  } else checkLength(errors, input.body, LIMITS.text, '#body', kind === 'decision' ? 'Why' : 'Details');
  if (kind === 'decision') checkLength(errors, input.alternatives, LIMITS.text, '#alternatives', 'Alternatives');

  let dueDate = '';
  if (kind === 'action') {
    const due = checkDate(input.dueDay, input.dueMonth, input.dueYear);
    if (!due.ok) {
      errors.push({
        text: due.problem === 'missing' ? 'Enter the due date' : 'The due date must be a real date, like 27 3 2026',
        href: '#dueDate-day',
      });
    } else {
      dueDate = `${due.year}-${String(due.month).padStart(2, '0')}-${String(due.day).padStart(2, '0')}`;
    }
  }

  let occurredAt = '';
  const blankTime = ![input.occurredDay, input.occurredMonth, input.occurredYear, input.occurredTime].some((v) =>
    v.trim(),
  );
  if (blankTime) {
    // Clearing every box means "now", the same as the form's default.
    occurredAt = now;
  } else {
    const date = checkDate(input.occurredDay, input.occurredMonth, input.occurredYear);
    const time = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/.exec(input.occurredTime.trim());
    if (!date.ok) {
      errors.push({
        text:
          date.problem === 'missing' ? 'Enter the date it happened' : 'The date must be a real date, like 27 3 2026',
        href: '#occurredAt-day',
      });
    }
    if (!time) errors.push({ text: 'Enter the time it happened, like 14:30', href: '#occurredTime' });
    if (date.ok && time) {
      occurredAt = fromLondon(date.year, date.month, date.day, Number(time[1]), Number(time[2]));
      // A minute's grace: the form's default is the minute it was opened, rounded down.
      if (Date.parse(occurredAt) > Date.parse(now) + 60_000) {
        errors.push({ text: 'The date and time it happened must be in the past', href: '#occurredAt-day' });
      }
    }
  }
  if (errors.length) return { ok: false, errors };

  const details: Record<string, unknown> =
    kind === 'decision'
      ? ({ decidedBy: input.decidedBy.trim(), alternatives: input.alternatives.trim() } satisfies DecisionDetails)
      : kind === 'action'
        ? ({ owner: input.owner.trim(), dueDate, done: input.done } satisfies ActionDetails)
        : {};
  return { ok: true, occurredAt, details };
}

/** The kinds, dates and order the timeline page asks for, from its query string. */
export interface TimelineQuery {
  kinds: TimelineKind[];
  /** YYYY-MM-DD as typed, kept to show in the form. */
  from: string;
  to: string;
  errors: FieldError[];
  range: { from?: string; before?: string };
}

export function parseTimelineQuery(query: Record<string, unknown>): TimelineQuery {
  const list = (value: unknown) => (Array.isArray(value) ? value : [value]).filter((v) => typeof v === 'string');
  const kinds = [...new Set(list(query['kind']).filter(isTimelineKind))];
  const errors: FieldError[] = [];
  const range: TimelineQuery['range'] = {};
  const day = (name: 'from' | 'to') => {
    const raw = typeof query[name] === 'string' ? (query[name] as string).trim().slice(0, 20) : '';
    if (!raw) return { raw, date: undefined };
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
    const parts = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [];
    if (!match || !isRealDate(parts[0]!, parts[1]!, parts[2]!)) {
      errors.push({
        text: `${name === 'from' ? 'From' : 'To'} must be a real date, like 2025-11-24`,
        href: `#${name}`,
      });
      return { raw, date: undefined };
    }
    return { raw, date: parts as [number, number, number] };
  };
  const from = day('from');
  const to = day('to');
  if (from.date) range.from = fromLondon(...from.date);
  // "To" includes the whole of that UK day.
  if (to.date) range.before = fromLondon(to.date[0], to.date[1], to.date[2] + 1);
  return { kinds, from: from.raw, to: to.raw, errors, range };
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Turns an entry into what a person reads: facts for decisions and actions, overdue flagged. */
export function describeEntry(entry: TimelineEntry, now: string = nowIso()): EntryView {
  const facts: EntryView['facts'] = [];
  let bodyText = entry.body;
  let openAction = false;
  let overdue = false;
  const d = entry.details;
  if (entry.kind === 'decision') {
    facts.push({ label: 'Decided by', value: asString(d['decidedBy']) });
    facts.push({ label: 'Why', value: entry.body });
    facts.push({ label: 'Alternatives considered', value: asString(d['alternatives']) || 'None recorded' });
    bodyText = '';
  } else if (entry.kind === 'action' && typeof d['completes'] !== 'string') {
    const dueDate = asString(d['dueDate']);
    const done = d['done'] === true;
    openAction = !done;
    overdue = !done && dueDate !== '' && dueDate < londonDate(now);
    facts.push({ label: 'Owner', value: asString(d['owner']) });
    facts.push({ label: 'Due', value: dueDate ? formatDate(`${dueDate}T12:00:00Z`) : 'No due date' });
    const doneAt = asString(d['doneAt']);
    facts.push({
      label: 'Done',
      value: done
        ? `Yes${doneAt ? `, marked done ${formatDateTime(doneAt)}` : ''}${d['doneBy'] ? ` by ${asString(d['doneBy'])}` : ''}`
        : overdue
          ? 'No (overdue)'
          : 'No',
    });
  }
  return { ...entry, kindText: KIND_NAMES[entry.kind].one, bodyText, facts, openAction, overdue };
}

export function createIncidentTimelineService(db: Kysely<DB>) {
  const incidents = createIncidentsService(db);

  /** Whether the person may add to the incident's timeline; the incidents service holds the rule. */
  async function mayManage(principal: Principal, incidentId: string): Promise<boolean> {
    try {
      await incidents.incidentFor(principal, incidentId, 'incident.manage');
      return true;
    } catch (err) {
      if (err instanceof HttpProblem && err.status === 404) return false;
      throw err;
    }
  }

  async function timeline(principal: Principal, incidentId: string, query: TimelineQuery) {
    const incident = await incidents.incidentFor(principal, incidentId);
    const entries = await repo.findTimelineEntries(db, incidentId, {
      kinds: query.kinds,
      ...query.range,
      order: 'newest-first',
    });
    const now = nowIso();
    return {
      incident,
      entries: entries.map((e) => describeEntry(e, now)),
      mayManage: await mayManage(principal, incidentId),
    };
  }

  /** The incident, if the person may add to its timeline (404 otherwise, as for the record). */
  async function incidentToManage(principal: Principal, incidentId: string): Promise<Incident> {
    return incidents.incidentFor(principal, incidentId, 'incident.manage');
  }

  async function addEntry(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    kind: AuthoredKind,
    input: EntryInput,
  ): Promise<Result> {
    const incident = await incidentToManage(principal, incidentId);
    const at = nowIso();
    const checked = validateEntry(kind, input, at);
    if (!checked.ok) return checked;
    const details =
      kind === 'action' && input.done ? { ...checked.details, doneAt: at, doneBy: actor.label } : checked.details;
    const id = newId();
    await db.transaction().execute(async (trx) => {
      await insertTimelineEntry(trx, {
        id,
        incident_id: incidentId,
        organisation_id: null,
        kind,
        occurred_at: checked.occurredAt,
        title: input.title.trim(),
        body: input.body.trim(),
        details: JSON.stringify(details),
        author_user_id: actor.userId,
        author_label: actor.label,
        created_at: at,
      });
      await recordAudit(trx, actor, {
        action: 'incident.timeline-entry-added',
        organisationId: incident.leadOrganisationId,
        targetType: 'incident',
        targetId: incidentId,
        details: { entryId: id, kind },
      });
    });
    return { ok: true };
  }

  /**
   * Marks an action done. The action shows it is done, and a new entry records when and by whom,
   * so the timeline keeps the order things happened in. Marking it again changes nothing.
   */
  async function markActionDone(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    entryId: string,
  ): Promise<{ changed: boolean }> {
    const incident = await incidentToManage(principal, incidentId);
    const entry = await repo.findTimelineEntry(db, incidentId, entryId);
    if (!entry || entry.kind !== 'action' || typeof entry.details['completes'] === 'string') {
      throw new HttpProblem(404, 'Page not found');
    }
    if (entry.details['done'] === true) return { changed: false };
    const at = nowIso();
    return db.transaction().execute(async (trx) => {
      const changed = await repo.replaceTimelineDetails(trx, entryId, entry.details, {
        ...entry.details,
        done: true,
        doneAt: at,
        doneBy: actor.label,
      });
      if (!changed) return { changed: false };
      await insertTimelineEntry(trx, {
        id: newId(),
        incident_id: incidentId,
        organisation_id: entry.organisationId,
        kind: 'action',
        occurred_at: at,
        title: `Action done: ${entry.title}`,
        body: '',
        details: JSON.stringify({ completes: entryId }),
        author_user_id: actor.userId,
        author_label: actor.label,
        created_at: at,
      });
      await recordAudit(trx, actor, {
        action: 'incident.action-done',
        organisationId: incident.leadOrganisationId,
        targetType: 'incident',
        targetId: incidentId,
        details: { entryId },
      });
      return { changed: true };
    });
  }

  /** Every entry, oldest first, for the post-incident review; the export is audited as a read. */
  async function exportTimeline(principal: Principal, actor: AuditActor, incidentId: string, format: 'html' | 'pdf') {
    const incident = await incidents.incidentFor(principal, incidentId);
    const generatedAt = nowIso();
    const entries = await repo.findTimelineEntries(db, incidentId, { order: 'oldest-first' });
    await recordAudit(db, actor, {
      action: 'incident.timeline-exported',
      organisationId: incident.leadOrganisationId,
      targetType: 'incident',
      targetId: incidentId,
      details: { format, entries: entries.length },
    });
    return { incident, generatedAt, entries: entries.map((e) => describeEntry(e, generatedAt)) };
  }

  return { timeline, incidentToManage, addEntry, markActionDone, exportTimeline };
}

export type IncidentTimelineService = ReturnType<typeof createIncidentTimelineService>;
export type TimelineExport = Awaited<ReturnType<IncidentTimelineService['exportTimeline']>>;
