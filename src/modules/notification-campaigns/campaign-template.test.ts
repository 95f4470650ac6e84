import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkProblems } from './campaign-template.ts';

test('links in a campaign message: shorteners (the list the report analyser uses too), http, and other sites are problems', () => {
  const own = ['testshire.gov.uk'];
  for (const link of ['https://bit.ly/abc', 'https://bitly.com/abc', 'short.io/x1', 'https://v.gd/abc']) {
    assert.match(linkProblems(`See ${link}.`, own).join('\n'), /is a link shortener/, link);
  }
  assert.deepEqual(linkProblems('See https://www.testshire.gov.uk/incident or https://www.gov.uk/x.', own), []);
  assert.match(linkProblems('See http://www.testshire.gov.uk/incident.', own).join('\n'), /is not https/);
  assert.match(linkProblems('See https://testshire-help.com/x.', own).join('\n'), /not on the council’s own website/);
});
