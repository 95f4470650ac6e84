// A real IMAP server for tests, in this process: hoodiecrow-imap, which speaks IMAP4rev1 over a
// socket from an in-memory mailbox. It lets the poller be tested with imapflow doing real protocol
// work (LOGIN, SELECT, UID SEARCH, UID FETCH BODY.PEEK, UID STORE, UID MOVE) rather than a mock.
import type { AddressInfo, Server, Socket } from 'node:net';
import { createRequire } from 'node:module';

interface HoodiecrowMessage {
  raw: string;
  flags?: string[];
  uid?: number;
}

interface HoodiecrowFolder {
  messages?: HoodiecrowMessage[];
  uidvalidity?: number;
  folders?: Record<string, HoodiecrowFolder>;
  separator?: string;
}

interface HoodiecrowServer {
  server: Server;
  listen(port: number, host: string, callback: () => void): void;
  storage: Record<string, HoodiecrowFolder>;
  folderCache: Record<string, HoodiecrowFolder & { messages: HoodiecrowMessage[] }>;
}

const require = createRequire(import.meta.url);
const hoodiecrow = require('hoodiecrow-imap') as (options: object) => HoodiecrowServer;

export const IMAP_TEST_USER = 'testuser';
export const IMAP_TEST_PASSWORD = 'testpass';

export interface ImapTestServer {
  port: number;
  /** The messages in a folder as the server holds them now. */
  folder(path: string): Array<{ raw: string; flags: string[]; uid: number }>;
  close(): Promise<void>;
}

/**
 * Starts a server whose INBOX holds `inbox` (raw messages as latin1 strings, so any bytes survive),
 * with a `Processed` folder beside it, and UIDVALIDITY `uidValidity`.
 */
export async function startImapTestServer(
  inbox: Array<{ raw: string; seen?: boolean }>,
  options: { uidValidity?: number } = {},
): Promise<ImapTestServer> {
  const server = hoodiecrow({
    plugins: ['ID', 'UNSELECT', 'ENABLE', 'MOVE', 'SPECIAL-USE'],
    storage: {
      INBOX: {
        uidvalidity: options.uidValidity ?? 1,
        messages: inbox.map((m) => ({ raw: m.raw, flags: m.seen ? ['\\Seen'] : [] })),
      },
      '': { separator: '/', folders: { Processed: {} } },
    },
  });
  const sockets = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
  });
  return {
    port,
    folder(path) {
      const folder = server.folderCache[path];
      return (folder?.messages ?? []).map((m) => ({ raw: m.raw, flags: m.flags ?? [], uid: m.uid ?? 0 }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.server.close(() => resolve());
        // Connections the client left open would hold close() for ever.
        for (const socket of sockets) socket.destroy();
      }),
  };
}
