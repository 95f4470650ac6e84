// In demo mode the demo logins are kept beside the embedded database (readable by its owner
// only) so that every start can print them again; never in production.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DemoCredential } from './seed-demo.ts';

const FILE = 'demo-credentials.json';

export function saveDemoCredentials(dataDir: string, credentials: DemoCredential[]): void {
  if (credentials.length === 0) return;
  writeFileSync(path.join(dataDir, FILE), JSON.stringify(credentials, null, 2), { mode: 0o600 });
}

export function loadDemoCredentials(dataDir: string): DemoCredential[] {
  const file = path.join(dataDir, FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoCredential[]) : [];
}

export function formatDemoCredentials(credentials: DemoCredential[], baseUrl: string): string {
  const lines = [
    '',
    'Demo staff logins (demo mode only; each needs the password, then a code from an authenticator app):',
    `Sign in at ${baseUrl}/sign-in`,
  ];
  for (const c of credentials) {
    lines.push(`  ${c.role.padEnd(17)} ${c.email.padEnd(36)} password ${c.password}   TOTP key ${c.totpSecret}`);
  }
  lines.push(
    'Add a TOTP key to any authenticator app, or print the current code with: npx wardroom demo-code --role admin',
    '',
  );
  return lines.join('\n');
}
