// Runs every *.test.ts under src/ and test/ with Node's own test runner (Node 20 has no glob for
// --test). Browser journeys under test/e2e run too. Extra arguments narrow to matching files.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

function find(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...find(full));
    else if (entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = ['src', 'test']
  .flatMap((d) => find(d))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
// Test files spend part of their time waiting (on Chromium, on databases, on timers), so one more
// than there are CPUs keeps the machine busy; more than that made the whole run slower on two CPUs,
// and left a cluster test too little CPU to start in time. TEST_CONCURRENCY overrides.
const concurrency = Number(process.env.TEST_CONCURRENCY) || availableParallelism() + 1;
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
