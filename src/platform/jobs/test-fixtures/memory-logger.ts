// A logger for tests: keeps what the worker logs, so tests can assert on it, and prints nothing.
import type { JobLogger } from '../job-worker.ts';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  details: Record<string, unknown>;
}

export function createMemoryLogger(): JobLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (details, message) => entries.push({ level: 'info', message, details }),
    warn: (details, message) => entries.push({ level: 'warn', message, details }),
    error: (details, message) => entries.push({ level: 'error', message, details }),
  };
}
