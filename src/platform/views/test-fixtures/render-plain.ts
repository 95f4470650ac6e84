// Renders the templates it is given with nunjucks as published (no nunjucks-speed.ts), for the test
// that compares the two: a JSON list of { name, context } or { source, context } on stdin, the
// rendered strings as JSON on stdout.
import { readFileSync } from 'node:fs';
import { createViewEnvironment } from '../views.ts';

const env = createViewEnvironment({ plainNunjucks: true });
const cases = JSON.parse(readFileSync(0, 'utf8')) as Array<{ name?: string; source?: string; context: object }>;
const rendered = cases.map((c) =>
  c.name ? env.render(c.name, c.context) : env.renderString(c.source ?? '', c.context),
);
process.stdout.write(JSON.stringify(rendered));
