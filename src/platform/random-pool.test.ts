import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pooledRandomBytes } from './random-pool.ts';

test('pooled random bytes: the size asked for, never handed out twice, across refills and for large draws', () => {
  const seen = new Set<string>();
  // 3,000 draws of 16 bytes span about a dozen refills of the 4 KiB pool.
  for (let i = 0; i < 3000; i += 1) {
    const bytes = pooledRandomBytes(16);
    assert.equal(bytes.length, 16);
    seen.add(bytes.toString('hex'));
  }
  assert.equal(seen.size, 3000);
  for (const size of [1, 8, 32, 255, 256, 257, 10_000]) assert.equal(pooledRandomBytes(size).length, size);
  assert.equal(pooledRandomBytes(0).length, 0);
});

test('pooled random bytes are a copy: changing them changes nothing handed out later', () => {
  const first = pooledRandomBytes(32);
  first.fill(0);
  const next = pooledRandomBytes(32);
  assert.notDeepEqual(next, Buffer.alloc(32));
  // Not all zero and not all one value: the bytes are random, not a stale or shared buffer.
  assert.ok(new Set(pooledRandomBytes(64)).size > 8);
});
