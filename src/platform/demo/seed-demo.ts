// Demo data from the public account of the November 2025 attack on the IT shared by Westminster,
// Kensington and Chelsea, and Hammersmith & Fulham (shared/seed/incident-facts.md): the councils,
// the shared IT provider, the agencies, one demo staff account per role, and the incident itself.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as accounts from '../accounts/accounts.repository.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { hashPassword } from '../auth/passwords.ts';
import { createSecretBox } from '../auth/secret-box.ts';
import { generateTotpSecret, otpauthUri } from '../auth/totp.ts';
import type { DB } from '../db/schema.ts';
import { nowIso } from '../ids.ts';
import { ROLES, type Role } from '../policy/policy.ts';
import { seedDemoIncident } from '../../modules/incidents/incident-demo.ts';
import { seedDemoEnquiries } from '../../modules/enquiries/enquiry-demo.ts';
import { seedDemoReplyTemplates } from '../../modules/enquiries/reply-template-demo.ts';
import { seedDemoGenuineContact } from '../../modules/genuine-contact/genuine-contact-demo.ts';
import { seedDemoReportMailboxes } from '../../modules/suspicious-reports/report-demo.ts';
import { seedDemoReports } from '../../modules/report-campaigns/report-demo.ts';
import { seedDemoAffectedPeople } from '../../modules/affected-people/affected-people-demo.ts';

export const DEMO_ORGANISATIONS: Array<Omit<accounts.Organisation, 'id'>> = [
  {
    slug: 'westminster',
    name: 'Westminster City Council',
    shortName: 'Westminster',
    kind: 'council',
    websiteUrl: 'https://www.westminster.gov.uk',
    officialDomains: ['westminster.gov.uk'],
  },
  {
    slug: 'kensington-chelsea',
    name: 'Royal Borough of Kensington and Chelsea',
    shortName: 'Kensington and Chelsea',
    kind: 'council',
    websiteUrl: 'https://www.rbkc.gov.uk',
    officialDomains: ['rbkc.gov.uk'],
  },
  {
    slug: 'hammersmith-fulham',
    name: 'Hammersmith & Fulham Council',
    shortName: 'Hammersmith & Fulham',
    kind: 'council',
    websiteUrl: 'https://www.lbhf.gov.uk',
    officialDomains: ['lbhf.gov.uk'],
  },
  {
    slug: 'shared-it',
    name: 'Bi-borough shared IT service (Kensington and Chelsea and Westminster)',
    shortName: 'Shared IT service',
    kind: 'provider',
    websiteUrl: null,
    officialDomains: ['rbkc.gov.uk', 'westminster.gov.uk'],
  },
  {
    slug: 'met-police',
    name: 'Metropolitan Police Cyber Crime Unit',
    shortName: 'Met Police',
    kind: 'agency',
    websiteUrl: 'https://www.met.police.uk',
    officialDomains: ['met.police.uk'],
  },
  {
    slug: 'nca',
    name: 'National Crime Agency',
    shortName: 'NCA',
    kind: 'agency',
    websiteUrl: 'https://www.nationalcrimeagency.gov.uk',
    officialDomains: ['nca.gov.uk', 'nationalcrimeagency.gov.uk'],
  },
  {
    slug: 'ncsc',
    name: 'National Cyber Security Centre',
    shortName: 'NCSC',
    kind: 'agency',
    websiteUrl: 'https://www.ncsc.gov.uk',
    officialDomains: ['ncsc.gov.uk'],
  },
  {
    slug: 'ico',
    name: "Information Commissioner's Office",
    shortName: 'ICO',
    kind: 'agency',
    websiteUrl: 'https://ico.org.uk',
    officialDomains: ['ico.org.uk'],
  },
];

/** Council staff work for Westminster; the partner account for the Met Police. */
const DEMO_STAFF: Array<{ role: Role; name: string; organisation: string }> = ROLES.map((role) => ({
  role,
  name: `Demo ${role.replace('-', ' ')}`,
  organisation: role === 'partner' ? 'met-police' : 'westminster',
}));

export interface DemoCredential {
  role: Role;
  email: string;
  password: string;
  totpSecret: string;
  otpauthUri: string;
}

export interface SeedResult {
  organisationsCreated: number;
  credentials: DemoCredential[];
}

/** Idempotent: organisations are upserted by slug, and demo staff are only created when missing. */
export async function seedDemo(db: Kysely<DB>, options: { sessionSecret: string }): Promise<SeedResult> {
  const totpBox = createSecretBox(options.sessionSecret, 'totp');
  const before = (await accounts.listOrganisations(db)).length;
  const staff: Array<{ spec: (typeof DEMO_STAFF)[number]; password: string; secret: string; hash: string }> = [];
  for (const spec of DEMO_STAFF) {
    const password = `demo-${randomBytes(9).toString('base64url')}`;
    staff.push({ spec, password, secret: generateTotpSecret(), hash: await hashPassword(password) });
  }
  const bySlug = new Map<string, string>();
  const result = await db.transaction().execute(async (trx) => {
    for (const org of DEMO_ORGANISATIONS) bySlug.set(org.slug, (await accounts.upsertOrganisation(trx, org)).id);
    const credentials: DemoCredential[] = [];
    for (const { spec, password, secret, hash } of staff) {
      const email = `${spec.role}@demo.wardroom.test`;
      if (await accounts.findUserRowByEmail(trx, email)) continue;
      const user = await accounts.insertUser(trx, { email, displayName: spec.name, status: 'active' });
      await accounts.updateUser(trx, user.id, {
        password_hash: hash,
        totp_secret_box: totpBox.seal(secret),
        totp_enrolled_at: nowIso(),
      });
      const organisationId = bySlug.get(spec.organisation) as string;
      await accounts.addMembership(trx, user.id, organisationId, spec.role);
      await recordAudit(
        trx,
        { userId: null, label: 'seed-demo' },
        {
          action: 'admin.user.created',
          organisationId,
          targetType: 'user',
          targetId: user.id,
          details: { roles: [spec.role], demo: true },
        },
      );
      credentials.push({ role: spec.role, email, password, totpSecret: secret, otpauthUri: otpauthUri(secret, email) });
    }
    await seedDemoIncident(trx, bySlug);
    await seedDemoEnquiries(trx, bySlug);
    await seedDemoReplyTemplates(trx, bySlug);
    await seedDemoGenuineContact(trx, bySlug);
    await seedDemoReportMailboxes(trx, bySlug);
    await seedDemoReports(trx, bySlug);
    const after = (await accounts.listOrganisations(trx)).length;
    return { organisationsCreated: after - before, credentials };
  });
  // Affected people go through the import (its own transactions, a batch each), so after the rest.
  await seedDemoAffectedPeople(db, bySlug);
  return result;
}
