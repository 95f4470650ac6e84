// Writes the labelled corpus to disk for `wardroom analyse`: corpus/**/*.eml, corpus/sms.jsonl and
// corpus/labels.json. Run: node --import tsx src/modules/suspicious-messages/test-fixtures/generate-corpus.ts
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCorpus } from './labelled-corpus.ts';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');
rmSync(root, { recursive: true, force: true });
const items = buildCorpus();
const sms: string[] = [];
for (const item of items) {
  if (item.email) {
    const file = path.join(root, item.id);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, item.email);
  } else if (item.sms) sms.push(JSON.stringify(item.sms));
}
writeFileSync(path.join(root, 'sms.jsonl'), `${sms.join('\n')}\n`);
writeFileSync(
  path.join(root, 'labels.json'),
  `${JSON.stringify(
    items.map(({ id, label, council, campaign }) => ({ id, label, council, campaign })),
    null,
    2,
  )}\n`,
);
process.stdout.write(`Wrote ${items.length} messages under ${path.relative(process.cwd(), root)}\n`);
