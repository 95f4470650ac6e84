// Cryptographically secure random bytes for the small draws a request makes (an id, a token, a
// verification reference), handed out from a pool that the system's generator fills 4 KiB at a
// time: a CPU profile of the enquiry form put 3% of its time in calls to the generator, one per draw
// (the bench could not tell the difference from its noise). The bytes are the same either way, and
// each is handed out once. Large draws go to the generator directly.
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
/** Draws larger than this are not worth taking from the pool. */
const LARGEST_POOLED = 256;

let pool = Buffer.alloc(0);
let at = POOL_BYTES;

/** `size` random bytes, in a buffer of their own. */
export function pooledRandomBytes(size: number): Buffer {
  if (size > LARGEST_POOLED) return randomBytes(size);
  if (at + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    at = 0;
  }
  // A copy: whoever takes the bytes may change them, and the pool is read only once.
  const bytes = Buffer.from(pool.subarray(at, at + size));
  at += size;
  return bytes;
}
