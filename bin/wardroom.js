#!/usr/bin/env node
// `npx wardroom …`: runs the TypeScript CLI in this process, with tsx's loader registered, so
// signals (Ctrl-C, SIGTERM from a process manager) reach the command itself and `serve` shuts down
// gracefully; a child process would need every signal passed on.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
