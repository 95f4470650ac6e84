import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageFromQuery, paging } from './paging.ts';

test('the page asked for is a whole number from 1 to 10,000', () => {
  assert.equal(pageFromQuery(undefined), 1);
  assert.equal(pageFromQuery('3'), 3);
  assert.equal(pageFromQuery('0'), 1);
  assert.equal(pageFromQuery('-4'), 1);
  assert.equal(pageFromQuery('two'), 1);
  assert.equal(pageFromQuery('99999999'), 10_000);
});

test('the links either side of a page keep the filter and leave out empty values', () => {
  assert.deepEqual(paging(1, 0, 50), { page: 1, pages: 1, pagination: {} });
  assert.deepEqual(paging(1, 120, 50, { status: 'dead', q: '' }), {
    page: 1,
    pages: 3,
    pagination: { next: { href: '?status=dead&page=2' } },
  });
  assert.deepEqual(paging(2, 120, 50, { action: 'audit viewed', q: undefined }).pagination, {
    previous: { href: '?action=audit+viewed&page=1' },
    next: { href: '?action=audit+viewed&page=3' },
  });
  assert.deepEqual(paging(3, 120, 50).pagination, { previous: { href: '?page=2' } });
});
