// Passwords, the NCSC way: at least 12 characters, no composition rules, and a deny-list of
// passwords that attackers try first. Stored as argon2id.
import { readFileSync } from 'node:fs';
import argon2 from 'argon2';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

const denyList = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter((line) => line !== '' && !line.startsWith('#')),
);

/** Returns what is wrong with a new password, in words for the person choosing it, or null. */
export function passwordProblem(password: string, context: { email?: string } = {}): string | null {
  if (password.length === 0) return 'Enter a password';
  if (password.length < MIN_PASSWORD_LENGTH) return `Password must be ${MIN_PASSWORD_LENGTH} characters or more`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`;
  const lower = password.toLowerCase();
  const squashed = lower.replace(/[^a-z0-9]/g, '');
  if (denyList.has(lower) || denyList.has(squashed) || denyList.has(lower.replace(/\d+$/, ''))) {
    return 'Choose a password that is harder to guess: this one is on a list of common passwords';
  }
  if (/^(.)\1+$/.test(password) || /^(.{1,4})\1+$/.test(password)) {
    return 'Choose a password that is harder to guess: it should not be one short pattern repeated';
  }
  const local = context.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) {
    return 'Choose a password that does not include your email address';
  }
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

// Verifying against this when no account matches makes an unknown email take as long as a known one.
let dummyHash: Promise<string> | undefined;
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= argon2.hash('wardroom-no-such-account', ARGON2_OPTIONS);
  await verifyPassword(await dummyHash, password);
  return false;
}
