// A mail relay for tests and benches: a few lines of SMTP over node:net that take every message and
// count each verification reference (the X-Wardroom-Reference header) when the "." that ends DATA
// arrives, as a real server takes responsibility then. A connection dropped before the dot
// delivers nothing.
import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface ReferenceSink {
  port: number;
  /** How many times each reference arrived. */
  counts: Map<string, number>;
  received(): number;
  close(): Promise<void>;
}

export async function startReferenceSink(): Promise<ReferenceSink> {
  const counts = new Map<string, number>();
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    let buffer = '';
    let inData = false;
    socket.write('220 sink.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          const reference = /\r\nX-Wardroom-Reference:\s*(\S+)/i.exec(message)?.[1] ?? '(none)';
          counts.set(reference, (counts.get(reference) ?? 0) + 1);
          received += 1;
          socket.write('250 2.0.0 Queued\r\n');
          continue;
        }
        const lineEnd = buffer.indexOf('\r\n');
        if (lineEnd < 0) return;
        const command = buffer.slice(0, 4).toUpperCase();
        buffer = buffer.slice(lineEnd + 2);
        if (command === 'EHLO') socket.write('250-sink.test\r\n250 8BITMIME\r\n');
        else if (command === 'DATA') {
          inData = true;
          buffer = `\r\n${buffer}`;
          socket.write('354 Go ahead\r\n');
        } else if (command === 'QUIT') socket.end('221 Bye\r\n');
        else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    port,
    counts,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
