// `npm run bench -- <name>` runs bench/<name>.ts. Each benchmark starts what it needs, prints its
// figures with the goal on its last line, and exits non-zero when the goal is missed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const available = existsSync('bench')
  ? readdirSync('bench')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
  : [];
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`Usage: npm run bench -- <name>\nAvailable: ${available.length ? available.join(', ') : '(none yet)'}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...process.argv.slice(3)], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
