// The one place that answers "may this person do this to this record". Every route asks it.
// Permissions come from roles held in an organisation; a record that holds residents' data names
// the organisation that owns it, and only that organisation's staff (or organisations an incident
// manager has shared it with, for the shared actions) may touch it.

export const ROLES = ['admin', 'incident-manager', 'comms', 'agent', 'analyst', 'dpo', 'partner'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_NAMES: Record<Role, string> = {
  admin: 'Administrator',
  'incident-manager': 'Incident manager',
  comms: 'Comms officer',
  agent: 'Contact-centre agent',
  analyst: 'Security analyst',
  dpo: 'Data protection officer',
  partner: 'Partner agency',
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export interface Membership {
  organisationId: string;
  role: Role;
}

export interface Principal {
  userId: string;
  email: string;
  memberships: Membership[];
}

/** What an action is done to: the organisation that owns it, and who it is shared with. */
export interface ResourceScope {
  organisationId: string;
  /** Organisations an incident manager has shared this record with. */
  sharedWith?: readonly string[];
}

export const ACTIONS = {
  'staff.home': ['admin', 'incident-manager', 'comms', 'agent', 'analyst', 'dpo', 'partner'],
  'users.manage': ['admin'],
  'audit.read': ['admin'],
  'jobs.manage': ['admin'],
  // Inbound mail as received: status, reasons, the text of a message, and retrying failed ones.
  'mail-in.manage': ['admin'],
  'incident.read': ['incident-manager', 'comms', 'agent', 'analyst', 'dpo'],
  'incident.manage': ['incident-manager'],
  'incident.share': ['incident-manager'],
  'public-update.draft': ['comms', 'incident-manager'],
  'public-update.approve': ['incident-manager'],
  'service-status.update': ['comms', 'incident-manager'],
  // Translations and questions and answers on a council's public incident page.
  'public-content.edit': ['comms', 'incident-manager'],
  // Adding, renaming and removing a council's resident-facing services on an incident.
  'service.manage': ['comms', 'incident-manager'],
  // A council's public contacts on an incident: the numbers and addresses residents are told to trust.
  'public-contact.manage': ['incident-manager'],
  // A council's register of genuine contact and what it will never ask for.
  'genuine-contact.manage': ['comms', 'incident-manager'],
  'enquiry.read': ['agent', 'incident-manager', 'dpo'],
  'enquiry.handle': ['agent'],
  // A council's enquiry addresses, reference letters and retention period.
  'enquiry.configure': ['admin', 'incident-manager'],
  'reply-template.manage': ['comms'],
  'report.read': ['analyst', 'incident-manager'],
  'report.triage': ['analyst'],
  // A council's report addresses: where residents forward suspicious emails.
  'report.configure': ['admin', 'incident-manager'],
  'breach.read': ['dpo', 'incident-manager'],
  'breach.manage': ['dpo'],
  'affected-person.read': ['dpo'],
  'systems.manage': ['analyst', 'incident-manager'],
  'shared.read': ['partner', 'incident-manager', 'analyst'],
  'indicator.read': ['partner', 'analyst'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof ACTIONS;

/**
 * Actions staff of another organisation may take on a record once an incident manager has shared it
 * with that organisation: partner agencies read what is shared; a neighbouring council's contact
 * centre may read and work an incident's enquiries. Each still needs the role the action asks for.
 */
const SHAREABLE: ReadonlySet<Action> = new Set<Action>([
  'shared.read',
  'indicator.read',
  'enquiry.read',
  'enquiry.handle',
]);

export function rolesFor(action: Action): readonly Role[] {
  return ACTIONS[action];
}

/**
 * May `principal` do `action`, to `resource` if it names one? With no resource the question is
 * "in any of their organisations" (e.g. may they see the admin menu at all).
 */
export function can(principal: Principal | null | undefined, action: Action, resource?: ResourceScope): boolean {
  if (!principal) return false;
  const allowed: readonly Role[] = ACTIONS[action];
  const relevant = principal.memberships.filter((m) => allowed.includes(m.role));
  if (relevant.length === 0) return false;
  if (!resource) return true;
  if (relevant.some((m) => m.organisationId === resource.organisationId)) return true;
  if (SHAREABLE.has(action) && resource.sharedWith) {
    return relevant.some((m) => resource.sharedWith?.includes(m.organisationId));
  }
  return false;
}

/** The organisations in which the principal may do `action` (for scoping lists and searches). */
export function organisationsWhere(principal: Principal, action: Action): string[] {
  const allowed: readonly Role[] = ACTIONS[action];
  return [...new Set(principal.memberships.filter((m) => allowed.includes(m.role)).map((m) => m.organisationId))];
}
