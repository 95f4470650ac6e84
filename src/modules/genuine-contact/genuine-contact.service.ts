// "Is this really from the council?": the register of genuine contact each council publishes,
// changed by its comms officers and incident managers; the public check against it, against the
// verification references of messages the platform queued, and against one-time call codes that
// staff on a call give a resident. Answers say what a contact is, never that a message is safe,
// and never anything about a resident.
import { createHash, randomInt, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  findOrganisationById,
  listOrganisations,
  type Organisation,
} from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { londonDate } from '../../platform/london-time.ts';
import { sentReferenceExists } from '../../platform/mail/sent-references.ts';
import { can, organisationsWhere, type Principal } from '../../platform/policy/policy.ts';
import {
  checkAgainstRegister,
  readCheckInput,
  validateEntry,
  validateNeverAsk,
  type CheckAnswer,
  type EntryAnswers,
} from './genuine-contact-register.ts';
import * as repo from './genuine-contact.repository.ts';

export const CALL_CODE_MINUTES = 10;

export interface CouncilRegister {
  council: Organisation;
  entries: repo.StoredEntry[];
  neverAsk: string[];
}

export interface PublicRegister extends CouncilRegister {
  /** The number people are told to call when we cannot confirm something. */
  helpline: repo.StoredEntry | undefined;
}

function hashCode(salt: string, code: string): string {
  return createHash('sha256').update(`${salt}:${code}`).digest('hex');
}

export function createGenuineContactService(db: Kysely<DB>) {
  const today = () => londonDate(nowIso());

  async function managedCouncil(principal: Principal, organisationId: string): Promise<Organisation | undefined> {
    if (!can(principal, 'genuine-contact.manage', { organisationId })) return undefined;
    const org = await findOrganisationById(db, organisationId);
    return org?.kind === 'council' ? org : undefined;
  }

  async function publicRegister(council: Organisation): Promise<PublicRegister> {
    const day = today();
    const entries = (await repo.listEntries(db, council.id)).filter(
      (e) => e.activeFrom <= day && (e.activeTo === null || e.activeTo >= day),
    );
    return {
      council,
      entries,
      neverAsk: await repo.findNeverAsk(db, council.id),
      helpline: entries.find((e) => e.kind === 'phone'),
    };
  }

  return {
    publicRegister,

    /** The registers of the councils this person manages. */
    async registersFor(principal: Principal): Promise<CouncilRegister[]> {
      const ids = organisationsWhere(principal, 'genuine-contact.manage');
      const councils = (await listOrganisations(db, 'council')).filter((o) => ids.includes(o.id));
      return Promise.all(
        councils.map(async (council) => ({
          council,
          entries: await repo.listEntries(db, council.id),
          neverAsk: await repo.findNeverAsk(db, council.id),
        })),
      );
    },

    managedCouncil,

    async findEntry(principal: Principal, organisationId: string, entryId: string) {
      const council = await managedCouncil(principal, organisationId);
      if (!council) return undefined;
      const entry = await repo.findEntry(db, council.id, entryId);
      return entry ? { council, entry } : undefined;
    },

    /** Adds an entry, or changes one when `entryId` is given. Undefined when it is not theirs. */
    async saveEntry(
      principal: Principal,
      actor: AuditActor,
      organisationId: string,
      entryId: string | undefined,
      answers: EntryAnswers,
    ): Promise<{ ok: true } | { ok: false; errors: FieldError[] } | undefined> {
      const council = await managedCouncil(principal, organisationId);
      if (!council) return undefined;
      const result = validateEntry(answers);
      if (!result.ok) return result;
      return db.transaction().execute(async (trx) => {
        const now = nowIso();
        let id = entryId;
        if (id) {
          const before = await repo.findEntry(trx, council.id, id);
          if (!before) return undefined;
          await repo.updateEntry(trx, { id, organisationId: council.id, entry: result.entry, now, by: actor.label });
        } else {
          id = newId();
          await repo.insertEntry(trx, { id, organisationId: council.id, entry: result.entry, now, by: actor.label });
        }
        await recordAudit(trx, actor, {
          action: entryId ? 'genuine-contact.entry.changed' : 'genuine-contact.entry.added',
          organisationId: council.id,
          targetType: 'genuine-contact',
          targetId: id,
          details: {
            channel: result.entry.channel,
            kind: result.entry.kind,
            value: result.entry.value,
            description: result.entry.description,
            activeFrom: result.entry.activeFrom,
            activeTo: result.entry.activeTo,
          },
        });
        return { ok: true as const };
      });
    },

    async saveNeverAsk(
      principal: Principal,
      actor: AuditActor,
      organisationId: string,
      typed: string,
    ): Promise<{ ok: true } | { ok: false; errors: FieldError[] } | undefined> {
      const council = await managedCouncil(principal, organisationId);
      if (!council) return undefined;
      const result = validateNeverAsk(typed);
      if (!result.ok) return result;
      await db.transaction().execute(async (trx) => {
        await repo.saveNeverAsk(trx, council.id, result.items, nowIso(), actor.label);
        await recordAudit(trx, actor, {
          action: 'genuine-contact.never-ask.changed',
          organisationId: council.id,
          targetType: 'organisation',
          targetId: council.id,
          details: { items: result.items },
        });
      });
      return { ok: true };
    },

    /** Councils in which this person may give a resident a call code. */
    async callCodeCouncils(principal: Principal): Promise<Organisation[]> {
      const ids = organisationsWhere(principal, 'incident.read');
      return (await listOrganisations(db, 'council')).filter((o) => ids.includes(o.id));
    },

    /** A new six-digit code, returned once; only its salted hash is kept. */
    async issueCallCode(
      principal: Principal,
      actor: AuditActor,
      organisationId: string,
    ): Promise<{ code: string; expiresAt: string; council: Organisation } | undefined> {
      if (!can(principal, 'incident.read', { organisationId })) return undefined;
      const council = await findOrganisationById(db, organisationId);
      if (council?.kind !== 'council') return undefined;
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const salt = randomBytes(16).toString('hex');
      const now = new Date();
      const expiresAt = new Date(now.getTime() + CALL_CODE_MINUTES * 60_000).toISOString();
      const id = newId();
      await db.transaction().execute(async (trx) => {
        await repo.insertCallCode(trx, {
          id,
          organisationId,
          salt,
          hash: hashCode(salt, code),
          userId: actor.userId,
          label: actor.label,
          now: now.toISOString(),
          expiresAt,
        });
        await recordAudit(trx, actor, {
          action: 'genuine-contact.call-code.issued',
          organisationId,
          targetType: 'call-code',
          targetId: id,
          details: { expiresAt },
        });
      });
      return { code, expiresAt, council };
    },

    /** The check page's answer for what a resident typed, or the reason it cannot be checked. */
    async check(
      council: Organisation,
      typed: string,
      actor: AuditActor,
    ): Promise<{ ok: true; answer: CheckAnswer; register: PublicRegister } | { ok: false; errors: FieldError[] }> {
      const input = readCheckInput(typed);
      if (!input) {
        return {
          ok: false,
          errors: [
            typed.trim() === ''
              ? { text: 'Enter a phone number, email address, link, sender name or reference', href: '#contact' }
              : { text: 'Enter 500 characters or fewer', href: '#contact' },
          ],
        };
      }
      const register = await publicRegister(council);
      if (input.type === 'call-code') {
        const now = nowIso();
        const wanted = (row: { salt: string; hash: string }) =>
          timingSafeEqual(Buffer.from(hashCode(row.salt, input.code), 'hex'), Buffer.from(row.hash, 'hex'));
        const match = (await repo.liveCallCodes(db, council.id, now)).find(wanted);
        const used =
          match &&
          (await db.transaction().execute(async (trx) => {
            if (!(await repo.useCallCode(trx, match.id, now))) return false;
            await recordAudit(trx, actor, {
              action: 'genuine-contact.call-code.confirmed',
              organisationId: council.id,
              targetType: 'call-code',
              targetId: match.id,
            });
            return true;
          }));
        const answer: CheckAnswer = used
          ? {
              answer: 'genuine',
              what: `A code given to you in the last ${CALL_CODE_MINUTES} minutes by someone at ${council.name}: the person who gave it to you is from ${council.name}.`,
            }
          : { answer: 'cannot-confirm', why: 'This code is not one we gave out, or it has expired or been used.' };
        return { ok: true, answer, register };
      }
      if (input.type === 'verification-reference') {
        const answer: CheckAnswer = (await sentReferenceExists(db, council.id, input.reference))
          ? {
              answer: 'genuine',
              what: `A message we sent. It carried the reference ${input.reference}.`,
              caution:
                'If the message asks for bank details, passwords or payment, it is not from us: we never ask for them.',
            }
          : { answer: 'cannot-confirm', why: `We did not send a message with the reference ${input.reference}.` };
        return { ok: true, answer, register };
      }
      const answer = checkAgainstRegister(input, {
        councilName: council.name,
        officialDomains: council.officialDomains,
        // Every entry, ended ones too, so a number we stopped using is called out.
        entries: await repo.listEntries(db, council.id),
        today: today(),
      });
      return { ok: true, answer, register };
    },
  };
}

export type GenuineContactService = ReturnType<typeof createGenuineContactService>;
