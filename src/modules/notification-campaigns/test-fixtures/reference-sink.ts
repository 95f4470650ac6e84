// A mail relay for tests and benches that counts each verification reference (the
// X-Wardroom-Reference header) of the messages it takes (smtp-sink-session.ts speaks the SMTP).
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { serveSmtpSink } from './smtp-sink-session.ts';

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
    serveSmtpSink(socket, 'sink.test', (message) => {
      const reference = /\r\nX-Wardroom-Reference:\s*(\S+)/i.exec(message)?.[1] ?? '(none)';
      counts.set(reference, (counts.get(reference) ?? 0) + 1);
      received += 1;
    });
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
