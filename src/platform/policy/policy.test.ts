// What each role may and may not do, as a table. A change to the policy changes this table.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACTIONS, ROLES, can, organisationsWhere, type Action, type Principal, type Role } from './policy.ts';

const WCC = 'org-westminster';
const RBKC = 'org-rbkc';
const MET = 'org-met-police';

function person(role: Role, organisationId = WCC): Principal {
  return { userId: `u-${role}`, email: `${role}@example.gov.uk`, memberships: [{ organisationId, role }] };
}

// Y = may, in their own organisation. Every role × action pair is listed, so nothing is implied.
// prettier-ignore
const TABLE: Record<Action, Record<Role, boolean>> = {
  'staff.home':            { admin: true,  'incident-manager': true,  comms: true,  agent: true,  analyst: true,  dpo: true,  partner: true },
  'users.manage':          { admin: true,  'incident-manager': false, comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'audit.read':            { admin: true,  'incident-manager': false, comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'jobs.manage':           { admin: true,  'incident-manager': false, comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'mail-in.manage':        { admin: true,  'incident-manager': false, comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'incident.read':         { admin: false, 'incident-manager': true,  comms: true,  agent: true,  analyst: true,  dpo: true,  partner: false },
  'incident.manage':       { admin: false, 'incident-manager': true,  comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'incident.share':        { admin: false, 'incident-manager': true,  comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'public-update.draft':   { admin: false, 'incident-manager': true,  comms: true,  agent: false, analyst: false, dpo: false, partner: false },
  'public-update.approve': { admin: false, 'incident-manager': true,  comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'service-status.update': { admin: false, 'incident-manager': true,  comms: true,  agent: false, analyst: false, dpo: false, partner: false },
  'public-content.edit':   { admin: false, 'incident-manager': true,  comms: true,  agent: false, analyst: false, dpo: false, partner: false },
  'service.manage':        { admin: false, 'incident-manager': true,  comms: true,  agent: false, analyst: false, dpo: false, partner: false },
  'public-contact.manage': { admin: false, 'incident-manager': true,  comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'genuine-contact.manage':{ admin: false, 'incident-manager': true,  comms: true,  agent: false, analyst: false, dpo: false, partner: false },
  'enquiry.read':          { admin: false, 'incident-manager': true,  comms: false, agent: true,  analyst: false, dpo: true,  partner: false },
  'enquiry.handle':        { admin: false, 'incident-manager': false, comms: false, agent: true,  analyst: false, dpo: false, partner: false },
  'enquiry.configure':     { admin: true,  'incident-manager': true,  comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'reply-template.manage': { admin: false, 'incident-manager': false, comms: true,  agent: false, analyst: false, dpo: false, partner: false },
  'report.read':           { admin: false, 'incident-manager': true,  comms: false, agent: false, analyst: true,  dpo: false, partner: false },
  'report.triage':         { admin: false, 'incident-manager': false, comms: false, agent: false, analyst: true,  dpo: false, partner: false },
  'report.configure':      { admin: true,  'incident-manager': true,  comms: false, agent: false, analyst: false, dpo: false, partner: false },
  'breach.read':           { admin: false, 'incident-manager': true,  comms: false, agent: false, analyst: false, dpo: true,  partner: false },
  'breach.manage':         { admin: false, 'incident-manager': false, comms: false, agent: false, analyst: false, dpo: true,  partner: false },
  'affected-person.read':  { admin: false, 'incident-manager': false, comms: false, agent: false, analyst: false, dpo: true,  partner: false },
  'systems.manage':        { admin: false, 'incident-manager': true,  comms: false, agent: false, analyst: true,  dpo: false, partner: false },
  'shared.read':           { admin: false, 'incident-manager': true,  comms: false, agent: false, analyst: true,  dpo: false, partner: true },
  'indicator.read':        { admin: false, 'incident-manager': false, comms: false, agent: false, analyst: true,  dpo: false, partner: true },
};

describe('policy: what each role may do in its own organisation', () => {
  test('the table covers every action the policy knows', () => {
    assert.deepEqual(Object.keys(TABLE).sort(), Object.keys(ACTIONS).sort());
  });
  for (const [action, row] of Object.entries(TABLE) as Array<[Action, Record<Role, boolean>]>) {
    for (const role of ROLES) {
      test(`${role} ${row[role] ? 'may' : 'may not'} ${action}`, () => {
        assert.equal(can(person(role), action, { organisationId: WCC }), row[role]);
        assert.equal(can(person(role), action), row[role]);
      });
    }
  }
});

describe('policy: organisations', () => {
  test("no role reaches another council's records", () => {
    for (const role of ROLES) {
      for (const action of Object.keys(ACTIONS) as Action[]) {
        assert.equal(can(person(role, WCC), action, { organisationId: RBKC }), false, `${role} ${action}`);
      }
    }
  });

  test('a partner reads a record only once it is shared with their agency, and cannot act on it', () => {
    const police = person('partner', MET);
    assert.equal(can(police, 'shared.read', { organisationId: WCC }), false);
    assert.equal(can(police, 'shared.read', { organisationId: WCC, sharedWith: [MET] }), true);
    assert.equal(can(police, 'indicator.read', { organisationId: WCC, sharedWith: [MET] }), true);
    assert.equal(can(police, 'enquiry.read', { organisationId: WCC, sharedWith: [MET] }), false);
    assert.equal(can(police, 'incident.manage', { organisationId: WCC, sharedWith: [MET] }), false);
  });

  test('sharing widens only the shareable actions, and only for the roles that have them', () => {
    const rbkcAgent = person('agent', RBKC);
    assert.equal(can(rbkcAgent, 'enquiry.read', { organisationId: WCC }), false);
    assert.equal(can(rbkcAgent, 'enquiry.read', { organisationId: WCC, sharedWith: [RBKC] }), true);
    assert.equal(can(rbkcAgent, 'enquiry.handle', { organisationId: WCC, sharedWith: [RBKC] }), true);
    assert.equal(can(rbkcAgent, 'enquiry.read', { organisationId: WCC, sharedWith: [MET] }), false);
    const rbkcComms = person('comms', RBKC);
    assert.equal(can(rbkcComms, 'enquiry.read', { organisationId: WCC, sharedWith: [RBKC] }), false);
    assert.equal(can(rbkcComms, 'public-update.draft', { organisationId: WCC, sharedWith: [RBKC] }), false);
  });

  test('someone with roles in two councils acts in each only with the role they hold there', () => {
    const both: Principal = {
      userId: 'u',
      email: 'u@example.gov.uk',
      memberships: [
        { organisationId: WCC, role: 'agent' },
        { organisationId: RBKC, role: 'comms' },
      ],
    };
    assert.equal(can(both, 'enquiry.handle', { organisationId: WCC }), true);
    assert.equal(can(both, 'enquiry.handle', { organisationId: RBKC }), false);
    assert.equal(can(both, 'public-update.draft', { organisationId: RBKC }), true);
    assert.equal(can(both, 'public-update.draft', { organisationId: WCC }), false);
    assert.deepEqual(organisationsWhere(both, 'enquiry.read'), [WCC]);
  });

  test('nobody signed in may do anything', () => {
    assert.equal(can(null, 'staff.home'), false);
  });
});
