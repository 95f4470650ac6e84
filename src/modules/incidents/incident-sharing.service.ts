// Sharing an incident's enquiries: an incident manager of an affected council lets another council
// (or the shared IT provider) read and work that council's enquiries about this incident, and can
// stop it. Each change is audited and goes on the incident's timeline. No HTTP here.
import type { Kysely } from 'kysely';
import { listOrganisations, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { can, type Principal } from '../../platform/policy/policy.ts';
import * as shares from './incident-shares.repository.ts';
import * as incidents from './incidents.repository.ts';

export function createIncidentSharingService(db: Kysely<DB>) {
  /** The incident, the affected councils the person may share for, and who each may share with. */
  async function overview(principal: Principal, incidentId: string) {
    if (!isId(incidentId)) throw new HttpProblem(404, 'Page not found');
    const incident = await incidents.findIncident(db, incidentId);
    const owners = (incident?.organisations ?? [])
      .filter(
        (o) => o.relationship === 'affected' && can(principal, 'incident.share', { organisationId: o.organisationId }),
      )
      .map((o) => o.organisationId);
    if (!incident || owners.length === 0) throw new HttpProblem(404, 'Page not found');
    const organisations = await listOrganisations(db);
    const candidates = organisations.filter((o) => o.kind === 'council' || o.kind === 'provider');
    return {
      incident,
      owners: organisations.filter((o) => owners.includes(o.id)),
      candidates,
      shares: (await shares.listShares(db, incidentId)).filter((s) => owners.includes(s.ownerOrganisationId)),
    };
  }

  async function change(
    principal: Principal,
    actor: AuditActor,
    incidentId: string,
    ownerOrganisationId: string,
    organisationId: string,
    adding: boolean,
  ): Promise<{ ok: true } | { ok: false; errors: FieldError[] }> {
    const seen = await overview(principal, incidentId);
    const owner = seen.owners.find((o) => o.id === ownerOrganisationId);
    if (!owner) return { ok: false, errors: [{ text: 'Select the council whose enquiries to share', href: '#owner' }] };
    const target: Organisation | undefined = seen.candidates.find((o) => o.id === organisationId);
    if (!target || target.id === owner.id) {
      return {
        ok: false,
        errors: [{ text: 'Select another council or the shared IT service', href: '#organisation' }],
      };
    }
    const at = nowIso();
    await db.transaction().execute(async (trx) => {
      const done = adding
        ? await shares.insertShare(trx, {
            incident_id: incidentId,
            owner_organisation_id: owner.id,
            organisation_id: target.id,
            scope: 'enquiries',
            shared_by_user_id: actor.userId,
            shared_by_label: actor.label,
            created_at: at,
          })
        : await shares.deleteShare(trx, {
            incidentId,
            ownerOrganisationId: owner.id,
            organisationId: target.id,
            scope: 'enquiries',
          });
      if (!done) return;
      const title = adding
        ? `${owner.name}'s enquiries shared with ${target.name}`
        : `${owner.name}'s enquiries no longer shared with ${target.name}`;
      await incidents.insertTimelineEntry(trx, {
        id: newId(),
        incident_id: incidentId,
        organisation_id: owner.id,
        kind: 'event',
        occurred_at: at,
        title,
        body: '',
        details: JSON.stringify({ share: adding ? 'added' : 'removed', scope: 'enquiries', with: target.id }),
        author_user_id: actor.userId,
        author_label: actor.label,
        created_at: at,
      });
      await recordAudit(trx, actor, {
        action: adding ? 'incident.enquiries-shared' : 'incident.enquiries-unshared',
        organisationId: owner.id,
        targetType: 'incident',
        targetId: incidentId,
        details: { with: target.id, withName: target.name },
      });
    });
    return { ok: true };
  }

  return {
    overview,
    share: (p: Principal, a: AuditActor, i: string, owner: string, org: string) => change(p, a, i, owner, org, true),
    unshare: (p: Principal, a: AuditActor, i: string, owner: string, org: string) => change(p, a, i, owner, org, false),
  };
}
