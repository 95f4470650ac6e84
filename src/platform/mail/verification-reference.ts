// The verification reference every message Wardroom sends carries, which the public "Is this
// really from the council?" check confirms. Made here from random bytes, never from anything a
// person gave us, so it holds no personal data.
import { pooledRandomBytes } from '../random-pool.ts';

/** RFC 4648 base32: no 0, 1, 8 or 9, so a reference read aloud is not mistaken. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `WR-` and 8 random base32 characters. */
export function newVerificationReference(): string {
  return newVerificationReferences(1)[0]!;
}

/** `count` references from one draw of random bytes (a campaign makes thousands at a time). */
export function newVerificationReferences(count: number): string[] {
  const bytes = pooledRandomBytes(8 * count);
  const references: string[] = [];
  for (let at = 0; at < bytes.length; at += 8) {
    let code = 'WR-';
    for (let i = at; i < at + 8; i += 1) code += BASE32[bytes[i]! & 31];
    references.push(code);
  }
  return references;
}

const VERIFICATION_REFERENCE = /^WR-[A-Z2-7]{8}$/;

/** Whether `value` has the shape of a verification reference (not whether one was sent). */
export function isVerificationReference(value: string): boolean {
  return VERIFICATION_REFERENCE.test(value);
}
