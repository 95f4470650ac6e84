// Reply templates: the approved wording contact-centre agents send to residents. Comms staff of a
// council write them (reply-template.manage); every save is a new version, and a version reaches
// agents only once another comms officer, not its author, approves it, as public updates need a
// second person. Until then agents keep sending the version approved before. A sent reply names
// the version it used. No HTTP and no SQL; every change is audited in its own transaction.
import type { Kysely } from 'kysely';
import { listOrganisations, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { Result } from '../../platform/http/form-result.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { can, organisationsWhere, type Principal } from '../../platform/policy/policy.ts';
import { validateTemplate, type TemplateFields, type TemplateInput } from './reply-template-rules.ts';
import * as repo from './reply-templates.repository.ts';

export type TemplateState = 'approved' | 'waiting' | 'changed' | 'withdrawn';

export const TEMPLATE_STATE_TEXT: Record<TemplateState, string> = {
  approved: 'Approved',
  waiting: 'Waiting for approval',
  changed: 'Change waiting for approval',
  withdrawn: 'Withdrawn',
};

export function templateState(template: repo.ReplyTemplate, latest: repo.ReplyTemplateVersion): TemplateState {
  if (template.withdrawnAt) return 'withdrawn';
  if (latest.approvedAt) return 'approved';
  return template.approvedVersionId ? 'changed' : 'waiting';
}

const nameKey = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

const notFound = () => new HttpProblem(404, 'Page not found');

function sameFields(a: TemplateFields, b: repo.ReplyTemplateVersion): boolean {
  return (
    a.name === b.name &&
    a.subject === b.subject &&
    a.body === b.body &&
    [...a.topics].sort().join() === [...b.topics].sort().join()
  );
}

export function createReplyTemplatesService(db: Kysely<DB>) {
  /** The councils whose templates the person manages. */
  async function councilsFor(principal: Principal): Promise<Organisation[]> {
    const ids = organisationsWhere(principal, 'reply-template.manage');
    return (await listOrganisations(db, 'council')).filter((o) => ids.includes(o.id));
  }

  async function list(principal: Principal) {
    const councils = await councilsFor(principal);
    const rows = await repo.listTemplates(
      db,
      councils.map((c) => c.id),
    );
    return {
      councils,
      templates: rows.map(({ template, latest }) => ({
        ...template,
        latest,
        state: templateState(template, latest),
        councilName: councils.find((c) => c.id === template.organisationId)?.shortName ?? '',
      })),
    };
  }

  /** A template of a council the person manages, with its versions; 404 for anyone else's. */
  async function templateFor(principal: Principal, templateId: string) {
    if (!isId(templateId)) throw notFound();
    const template = await repo.findTemplate(db, templateId);
    if (!template || !can(principal, 'reply-template.manage', { organisationId: template.organisationId })) {
      throw notFound();
    }
    const council = (await councilsFor(principal)).find((c) => c.id === template.organisationId);
    const versions = await repo.listVersions(db, template.id);
    const latest = versions[0];
    if (!council || !latest) throw notFound();
    const approved = versions.find((v) => v.id === template.approvedVersionId);
    return {
      template,
      council,
      versions,
      latest,
      approved,
      state: templateState(template, latest),
      /** Whether this person could approve the latest version: it waits, and they did not write it. */
      mayApprove: latest.approvedAt === null && latest.draftedByUserId !== principal.userId,
    };
  }

  async function create(
    principal: Principal,
    actor: AuditActor,
    councilId: string,
    input: TemplateInput,
  ): Promise<Result<{ id: string }>> {
    const council = (await councilsFor(principal)).find((c) => c.id === councilId);
    if (!council) return { ok: false, errors: [{ text: 'Select a council', href: '#council' }] };
    const checked = validateTemplate(input, council.officialDomains);
    if (!checked.ok) return checked;
    const fields = checked.fields;
    if (await repo.nameTaken(db, council.id, nameKey(fields.name))) {
      return { ok: false, errors: [{ text: `There is already a template called ${fields.name}`, href: '#name' }] };
    }
    const id = newId();
    const versionId = newId();
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      await repo.insertTemplate(trx, {
        id,
        organisation_id: council.id,
        name: fields.name,
        name_key: nameKey(fields.name),
        latest_version: 1,
        approved_version_id: null,
        withdrawn_at: null,
        withdrawn_by_label: null,
        created_at: at,
        updated_at: at,
      });
      await repo.insertVersion(trx, versionRow(versionId, id, 1, fields, actor, at));
      await recordAudit(trx, actor, {
        action: 'reply-template.created',
        organisationId: council.id,
        targetType: 'reply-template',
        targetId: id,
        details: { versionId, version: 1, name: fields.name, subject: fields.subject, topics: fields.topics },
      });
    });
    return { ok: true, id };
  }

  /** Saves a new version. Agents keep the approved one until this one is approved. */
  async function change(
    principal: Principal,
    actor: AuditActor,
    templateId: string,
    seenVersion: number,
    input: TemplateInput,
  ): Promise<Result> {
    const found = await templateFor(principal, templateId);
    if (seenVersion !== found.template.latestVersion) throw changedSinceSeen();
    const checked = validateTemplate(input, found.council.officialDomains);
    if (!checked.ok) return checked;
    const fields = checked.fields;
    if (sameFields(fields, found.latest)) {
      return {
        ok: false,
        errors: [{ text: 'Change the name, topics, subject line or text before saving', href: '#name' }],
      };
    }
    if (await repo.nameTaken(db, found.council.id, nameKey(fields.name), found.template.id)) {
      return { ok: false, errors: [{ text: `There is already a template called ${fields.name}`, href: '#name' }] };
    }
    const number = found.template.latestVersion + 1;
    const versionId = newId();
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const advanced = await repo.advanceLatest(trx, found.template.id, seenVersion, {
        name: fields.name,
        nameKey: nameKey(fields.name),
        at,
      });
      if (!advanced) throw changedSinceSeen();
      await repo.insertVersion(trx, versionRow(versionId, found.template.id, number, fields, actor, at));
      await recordAudit(trx, actor, {
        action: 'reply-template.changed',
        organisationId: found.council.id,
        targetType: 'reply-template',
        targetId: found.template.id,
        details: { versionId, version: number, name: fields.name, subject: fields.subject, topics: fields.topics },
      });
    });
    return { ok: true };
  }

  async function approve(
    principal: Principal,
    actor: AuditActor,
    templateId: string,
    versionId: string,
  ): Promise<void> {
    const found = await templateFor(principal, templateId);
    if (versionId !== found.latest.id) throw changedSinceSeen();
    if (found.latest.approvedAt !== null) {
      throw new HttpProblem(409, 'This version is approved already', 'Go back to the template to see it.');
    }
    if (found.latest.draftedByUserId === principal.userId) {
      throw new HttpProblem(
        403,
        'You cannot approve this template',
        'You wrote this version, so another comms officer must approve it.',
      );
    }
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const approved = await repo.approveVersion(trx, found.latest.id, {
        userId: actor.userId,
        label: actor.label,
        at,
      });
      const used =
        approved &&
        (await repo.useVersion(trx, found.template.id, { id: found.latest.id, number: found.latest.version }, at));
      if (!used) throw changedSinceSeen();
      await recordAudit(trx, actor, {
        action: 'reply-template.approved',
        organisationId: found.council.id,
        targetType: 'reply-template',
        targetId: found.template.id,
        details: {
          versionId: found.latest.id,
          version: found.latest.version,
          replaces: found.approved ? { versionId: found.approved.id, version: found.approved.version } : null,
          author: found.latest.draftedByLabel,
          wasWithdrawn: found.template.withdrawnAt !== null,
        },
      });
    });
  }

  /** Takes a template away from agents at once (wrong wording in a crisis cannot wait for a second person). */
  async function withdraw(principal: Principal, actor: AuditActor, templateId: string): Promise<void> {
    const found = await templateFor(principal, templateId);
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      if (!(await repo.withdrawTemplate(trx, found.template.id, { label: actor.label, at }))) {
        throw new HttpProblem(409, 'This template is withdrawn already', 'Go back to the template to see it.');
      }
      await recordAudit(trx, actor, {
        action: 'reply-template.withdrawn',
        organisationId: found.council.id,
        targetType: 'reply-template',
        targetId: found.template.id,
        details: { approvedVersionId: found.template.approvedVersionId },
      });
    });
  }

  return { councilsFor, list, templateFor, create, change, approve, withdraw };
}

function versionRow(
  id: string,
  templateId: string,
  version: number,
  fields: TemplateFields,
  actor: AuditActor,
  at: string,
) {
  return {
    id,
    template_id: templateId,
    version,
    name: fields.name,
    topics: JSON.stringify(fields.topics),
    subject: fields.subject,
    body: fields.body,
    drafted_by_user_id: actor.userId,
    drafted_by_label: actor.label,
    created_at: at,
    approved_by_user_id: null,
    approved_by_label: null,
    approved_at: null,
  };
}

function changedSinceSeen(): HttpProblem {
  return new HttpProblem(
    409,
    'This template has changed',
    'Someone saved or approved a version after you opened it. Go back to the template to see the latest version.',
  );
}

export type ReplyTemplatesService = ReturnType<typeof createReplyTemplatesService>;
