// Bench support: the council's outgoing mail relay, as a child process of the bench, so Wardroom's
// job worker sends the acknowledgement emails as it would in production. It takes every message
// and keeps only a count, which it sends to the bench when asked ("count" over IPC).
//
// A few lines of SMTP over node:net rather than smtp-server: smtp-server waits 100 ms before its
// greeting (to catch clients that talk too soon), which a relay such as Postfix does not, and which
// would make every message Wardroom sends on a new connection look 100 ms slow.
import { createServer } from 'node:net';
import { serveSmtpSink } from '../../src/modules/notification-campaigns/test-fixtures/smtp-sink-session.ts';

let received = 0;
const server = createServer((socket) =>
  serveSmtpSink(socket, 'relay.bench.example', () => {
    received += 1;
  }),
);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as { port: number }).port });
});
process.on('message', (message) => {
  if (message === 'count') process.send?.({ received });
});
process.on('disconnect', () => process.exit(0));
