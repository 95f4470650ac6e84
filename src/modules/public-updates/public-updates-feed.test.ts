import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeXml, renderAtomFeed } from './public-updates-feed.ts';
import { child, childrenNamed, parseXml } from './xml-tree.test-support.ts';

const council = {
  id: '01900000-0000-7000-8000-000000000001',
  slug: 'westminster',
  name: 'Westminster & "Friends"',
  websiteUrl: 'https://www.westminster.gov.uk',
  officialDomains: ['westminster.gov.uk'],
};

test('the reader used by the tests rejects what is not well-formed', () => {
  assert.throws(() => parseXml('<a><b></a></b>'));
  assert.throws(() => parseXml('<a>Tom & Jerry</a>'));
  assert.throws(() => parseXml('<a>1 < 2</a>'));
  assert.equal(parseXml('<a x="1&amp;2">&lt;b&gt;</a>').text, '<b>');
});

test('staff text is escaped, and characters XML cannot carry are dropped', () => {
  assert.equal(escapeXml(`<script>&"'\u0007`), '&lt;script&gt;&amp;&quot;&apos;');
  const xml = renderAtomFeed({
    council,
    baseUrl: 'https://wardroom.example',
    emptySince: '2025-11-24T09:00:00.000Z',
    updates: [
      {
        id: '01900000-0000-7000-8000-0000000000aa',
        incidentId: 'x',
        versionId: 'y',
        version: 2,
        title: 'Bins <b>& bags</b>',
        body: 'Call 020 7641 6180.\u0001\n\nDo not <a href="x">click</a>.',
        firstPublishedAt: '2025-11-25T10:00:00.000Z',
        lastPublishedAt: '2025-11-26T11:00:00.000Z',
        corrected: true,
      },
    ],
  });
  const feed = parseXml(xml);
  assert.equal(feed.attributes['xmlns'], 'http://www.w3.org/2005/Atom');
  assert.equal(child(feed, 'id')?.text, 'tag:westminster.gov.uk,2025:westminster/cyber-incident/updates');
  assert.equal(child(feed, 'updated')?.text, '2025-11-26T11:00:00.000Z', 'the feed changed when its entry last did');
  assert.equal(child(child(feed, 'author')!, 'name')?.text, 'Westminster & "Friends"');
  const [entry] = childrenNamed(feed, 'entry');
  assert.equal(child(entry!, 'title')?.text, 'Bins <b>& bags</b>');
  assert.equal(child(entry!, 'content')?.attributes['type'], 'text');
  assert.equal(child(entry!, 'content')?.text, 'Call 020 7641 6180.\n\nDo not <a href="x">click</a>.');
  assert.equal(child(entry!, 'published')?.text, '2025-11-25T10:00:00.000Z');
});

test('an empty feed is still valid: it says when it last changed', () => {
  const feed = parseXml(
    renderAtomFeed({
      council: { ...council, officialDomains: [] },
      baseUrl: 'https://wardroom.example',
      emptySince: '2025-11-24T09:00:00.000Z',
      updates: [],
    }),
  );
  assert.equal(child(feed, 'updated')?.text, '2025-11-24T09:00:00.000Z');
  assert.equal(child(feed, 'id')?.text, `urn:uuid:${council.id}`);
  assert.equal(childrenNamed(feed, 'entry').length, 0);
});
