// Who may change what a council's public incident page adds to the incident record: comms (and
// incident managers) of that council, and nobody else. Staff of another affected council can read
// the incident, so they are told they may not (403); everyone else gets the 404 of a page that
// does not exist.
import type { Kysely } from 'kysely';
import { findOrganisationBySlug, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { isId } from '../../platform/ids.ts';
import { can, type Principal } from '../../platform/policy/policy.ts';
import { findIncident, type Incident } from '../incidents/incidents.repository.ts';

export interface CouncilScope {
  incident: Incident;
  council: Organisation;
}

const notFound = () => new HttpProblem(404, 'Page not found');

export function affectedCouncilIds(incident: Incident): string[] {
  return incident.organisations.filter((o) => o.relationship === 'affected').map((o) => o.organisationId);
}

/** The affected councils whose public content the person may change. */
export function editableCouncilIds(principal: Principal, incident: Incident): string[] {
  return affectedCouncilIds(incident).filter((organisationId) =>
    can(principal, 'public-content.edit', { organisationId }),
  );
}

/** The incident, if the person may read it; otherwise 404. */
export async function readableIncident(db: Kysely<DB>, principal: Principal, incidentId: string): Promise<Incident> {
  const incident = isId(incidentId) ? await findIncident(db, incidentId) : undefined;
  const owners = incident ? [incident.leadOrganisationId, ...affectedCouncilIds(incident)] : [];
  if (!incident || !owners.some((organisationId) => can(principal, 'incident.read', { organisationId }))) {
    throw notFound();
  }
  return incident;
}

/** The incident and one of its affected councils, if the person may change that council's public content. */
export async function councilScopeFor(
  db: Kysely<DB>,
  principal: Principal,
  incidentId: string,
  councilSlug: string,
): Promise<CouncilScope> {
  const incident = await readableIncident(db, principal, incidentId);
  const council = /^[a-z0-9-]{2,60}$/.test(councilSlug) ? await findOrganisationBySlug(db, councilSlug) : undefined;
  if (!council || council.kind !== 'council' || !affectedCouncilIds(incident).includes(council.id)) throw notFound();
  if (!can(principal, 'public-content.edit', { organisationId: council.id })) {
    throw new HttpProblem(
      403,
      'You do not have permission to see this page',
      `Only staff of ${council.name} can change what its page shows.`,
    );
  }
  return { incident, council };
}
