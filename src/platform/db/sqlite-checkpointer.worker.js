// The SQLite checkpointer, in a thread of its own (see openDatabase's walCheckpoints): copies what
// the write-ahead log holds into the database file every few hundred milliseconds, on a connection of
// its own. Left to the app's connection, a checkpoint runs inside whichever commit fills the log past
// its threshold, with the disk flushes it makes, and every request of the process waits for it.
//
// Plain JavaScript: `wardroom` registers its TypeScript loader in the main thread only.
import { clearInterval, setInterval } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const { file, intervalMs } = /** @type {{ file: string; intervalMs: number }} */ (workerData);
const db = new SQLite(file);
// PASSIVE never waits for readers or writers: it copies what it can now and leaves the rest for the
// next round. A writer starts the log again from the top once all of it has been copied.
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');

let failures = 0;
const timer = setInterval(() => {
  try {
    checkpoint.all();
    failures = 0;
  } catch (error) {
    // Reported once per run of failures; the app's own connection still checkpoints past its
    // (raised) threshold, so the log cannot grow without bound.
    if (failures++ === 0) parentPort?.postMessage({ error: String(error) });
  }
}, intervalMs);

parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
