import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CIRCUMSTANCES, REPLY_METHODS, TOPICS } from '../../modules/enquiries/enquiry-form.ts';
import { createViewEnvironment } from './views.ts';

const council = { id: 'c1', name: 'Westminster City Council', shortName: 'Westminster', slug: 'westminster' };
const answers = {
  topic: 'service',
  message: '  My bin was not collected.\n\nTwice.  ',
  name: 'Jo Bloggs',
  replyBy: 'email',
  email: 'jo@example.com',
  phone: '',
  address: '',
  extraHelp: 'yes',
  supportNeeds: '',
  circumstances: ['aged-75-or-over'],
};
const errors = [
  { text: 'Tell us what extra help you need', href: '#supportNeeds' },
  { text: 'Enter an email address in the correct format, like name@example.com', href: '#email' },
];

// Pages and snippets that use what nunjucks-speed.ts changes: imports with and without context,
// relative includes, for loops (loop.index, loop.first, nested loops), sets inside loops and
// macros, dotted sets, and trim on plain and safe strings.
const CASES: Array<{ name?: string; source?: string; context: object }> = [
  {
    name: 'enquiries/views/contact-form.njk',
    context: {
      pageTitle: 'Contact us',
      council,
      values: answers,
      errors: [],
      topics: TOPICS,
      replyMethods: REPLY_METHODS,
      circumstances: CIRCUMSTANCES,
      csrfToken: 't',
    },
  },
  {
    name: 'enquiries/views/contact-form.njk',
    context: {
      pageTitle: 'Contact us',
      council,
      values: answers,
      errors,
      fieldErrors: { supportNeeds: { text: errors[0]!.text }, email: { text: errors[1]!.text } },
      topics: TOPICS,
      replyMethods: REPLY_METHODS,
      circumstances: CIRCUMSTANCES,
      csrfToken: 't',
    },
  },
  {
    source:
      '{% for row in rows %}{% for cell in row %}[{{ loop.index }}/{{ loop.length }}{{ "F" if loop.first }}{{ "L" if loop.last }}:{{ cell }}]{% endfor %}{{ loop.index0 }}{{ loop.revindex }}|{% endfor %}',
    context: { rows: [['a', 'b', 'c'], ['d'], []] },
  },
  {
    source:
      '{% set total = 0 %}{% for n in [1, 2, 3] %}{% set total = total + n %}{{ total }}{% endfor %}={{ total }}{% set a = { b: 1 } %}{{ a.b }}',
    context: {},
  },
  {
    source:
      '{% macro m(x) %}{% set y = x * 2 %}<{{ y }}{{ caller() if caller }}>{% endmacro %}{{ m(2) }}{% call m(3) %}in{% endcall %}{{ y }}',
    context: {},
  },
  {
    source:
      '{% from "govuk/components/button/macro.njk" import govukButton %}{{ govukButton({ text: "Go" }) }}{{ govukButton({ text: "Again", href: "/x" }) }}',
    context: {},
  },
  {
    source: '{% import "govuk/macros/attributes.njk" as a with context %}[{{ a.govukAttributes({ "data-x": who }) }}]',
    context: { who: 'caller' },
  },
  {
    source: '[{{ " \\n spaced \\t " | trim }}][{{ " <b> " | safe | trim }}][{{ " <i> " | trim }}][{{ "" | trim }}]',
    context: {},
  },
];

test('pages render the same to the byte with nunjucks-speed.ts as with nunjucks as published', () => {
  const env = createViewEnvironment();
  // Twice, so that what is kept after the first render is used in the second.
  const sped = [0, 1].map(() =>
    CASES.map((c) => (c.name ? env.render(c.name, c.context) : env.renderString(c.source ?? '', c.context))),
  );
  const plain = JSON.parse(
    execFileSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./test-fixtures/render-plain.ts', import.meta.url))],
      { input: JSON.stringify(CASES), encoding: 'utf8' },
    ),
  ) as string[];
  assert.equal(plain.length, CASES.length);
  assert.match(plain[1] ?? '', /Tell us what extra help you need/, 'the page with errors was rendered');
  for (const run of sped) assert.deepEqual(run, plain);
});
