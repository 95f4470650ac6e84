// The server side of one SMTP connection for the test and bench mail sinks: a few lines of SMTP over
// node:net that take every message, handing each to `onMessage` when the "." that ends DATA arrives
// (as a real server takes responsibility then). A connection dropped before the dot delivers nothing.
// No 100 ms greeting delay (smtp-server has one), so a new connection is not made to look slow.
import type { Socket } from 'node:net';

export function serveSmtpSink(socket: Socket, hostname: string, onMessage: (message: string) => void): void {
  socket.setNoDelay(true);
  let buffer = '';
  let inData = false;
  socket.write(`220 ${hostname} ESMTP\r\n`);
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    for (;;) {
      if (inData) {
        const end = buffer.indexOf('\r\n.\r\n');
        if (end < 0) return;
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 5);
        inData = false;
        onMessage(message);
        socket.write('250 2.0.0 Queued\r\n');
        continue;
      }
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd < 0) return;
      const command = buffer.slice(0, 4).toUpperCase();
      buffer = buffer.slice(lineEnd + 2);
      if (command === 'EHLO') socket.write(`250-${hostname}\r\n250-PIPELINING\r\n250 8BITMIME\r\n`);
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
}
