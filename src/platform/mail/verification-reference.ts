// The verification reference every message Wardroom sends carries, which the public "Is this
// really from the council?" check confirms. Made here from random bytes, never from anything a
// person gave us, so it holds no personal data.
import { randomBytes } from 'node:crypto';

/** RFC 4648 base32: no 0, 1, 8 or 9, so a reference read aloud is not mistaken. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `WR-` and 8 random base32 characters. */
export function newVerificationReference(): string {
  const bytes = randomBytes(8);
  let code = '';
  for (const byte of bytes) code += BASE32[byte & 31];
  return `WR-${code}`;
}

const VERIFICATION_REFERENCE = /^WR-[A-Z2-7]{8}$/;

/** Whether `value` has the shape of a verification reference (not whether one was sent). */
export function isVerificationReference(value: string): boolean {
  return VERIFICATION_REFERENCE.test(value);
}
