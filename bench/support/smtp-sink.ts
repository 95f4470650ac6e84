// Bench support: the council's outgoing mail relay, as a child process of the bench, so Wardroom's
// job worker sends the acknowledgement emails as it would in production. It takes every message
// and keeps only a count, which it sends to the bench when asked ("count" over IPC).
//
// A few lines of SMTP over node:net rather than smtp-server: smtp-server waits 100 ms before its
// greeting (to catch clients that talk too soon), which a relay such as Postfix does not, and which
// would make every message Wardroom sends on a new connection look 100 ms slow.
import { createServer } from 'node:net';

let received = 0;
const server = createServer((socket) => {
  socket.setNoDelay(true);
  let buffer = '';
  let inData = false;
  socket.write('220 relay.bench.example ESMTP\r\n');
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    for (;;) {
      if (inData) {
        const end = buffer.indexOf('\r\n.\r\n');
        if (end < 0) return;
        buffer = buffer.slice(end + 5);
        inData = false;
        received += 1;
        socket.write('250 2.0.0 Queued\r\n');
        continue;
      }
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd < 0) return;
      const command = buffer.slice(0, lineEnd).slice(0, 4).toUpperCase();
      buffer = buffer.slice(lineEnd + 2);
      if (command === 'EHLO') socket.write('250-relay.bench.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
      else if (command === 'DATA') {
        inData = true;
        // The end of the message may already be in the buffer: "\r\n.\r\n" needs the line break before it.
        buffer = `\r\n${buffer}`;
        socket.write('354 Go ahead\r\n');
      } else if (command === 'QUIT') socket.end('221 Bye\r\n');
      else socket.write('250 OK\r\n');
    }
  });
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as { port: number }).port });
});
process.on('message', (message) => {
  if (message === 'count') process.send?.({ received });
});
process.on('disconnect', () => process.exit(0));
