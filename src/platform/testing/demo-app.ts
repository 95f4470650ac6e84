// Test support: the app on a database loaded with the demo data (councils, agencies, the November
// incident), and signed-in staff of any demo organisation. Most route tests start here.
import { findOrganisationBySlug } from '../accounts/accounts.repository.ts';
import type { Database } from '../db/database.ts';
import { seedDemo } from '../demo/seed-demo.ts';
import type { Role } from '../policy/policy.ts';
import {
  createStaff,
  createTestApp,
  signIn,
  TEST_SESSION_SECRET,
  TestClient,
  type TestApp,
  type TestStaff,
} from './test-app.ts';

const DEMO_SLUGS = [
  'westminster',
  'kensington-chelsea',
  'hammersmith-fulham',
  'shared-it',
  'met-police',
  'nca',
  'ncsc',
  'ico',
] as const;
export type DemoSlug = (typeof DEMO_SLUGS)[number];

export interface DemoApp extends TestApp {
  /** A demo organisation's id. */
  organisationId(slug: DemoSlug): string;
  /** The demo incident's id. */
  incidentId: string;
  /** A browser signed in as new staff with one role in one organisation (an id; Westminster when not given). */
  staffClient(role: Role, organisationId?: string): Promise<TestClient>;
  /** The same, with the staff member, for tests that need to know who acted. */
  staffMember(role: Role, organisationId?: string): Promise<{ client: TestClient; user: TestStaff }>;
}

export async function createDemoApp(
  database: Database,
  options: Parameters<typeof createTestApp>[1] = {},
): Promise<DemoApp> {
  const t = await createTestApp(database, options);
  await seedDemo(database.db, { sessionSecret: TEST_SESSION_SECRET });
  const ids = new Map<string, string>();
  for (const slug of DEMO_SLUGS) {
    const org = await findOrganisationBySlug(database.db, slug);
    if (!org) throw new Error(`the demo data has no organisation ${slug}`);
    ids.set(slug, org.id);
  }
  const incident = await database.db.selectFrom('incidents').select('id').executeTakeFirstOrThrow();
  const organisationId = (slug: DemoSlug) => ids.get(slug) as string;
  const staffMember = async (role: Role, orgId = organisationId('westminster')) => {
    const client = new TestClient(t.app);
    const user = await createStaff(database, { roles: [{ organisationId: orgId, role }] });
    await signIn(client, user);
    return { client, user };
  };
  return {
    ...t,
    organisationId,
    incidentId: incident.id,
    staffMember,
    staffClient: async (role, orgId) => (await staffMember(role, orgId)).client,
  };
}
