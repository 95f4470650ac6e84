// A mailbox for tests: it takes mail for one domain and writes a row per message to a table of its
// own (made by the test), through the transaction it is given, so tests can count what it made.
// It can be told to fail (after writing, so a rollback is what keeps the count right) or to turn
// messages down.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { newId } from '../../ids.ts';
import type { InboundDelivery, InboundMailbox } from '../inbound-mailboxes.ts';
import type { ParsedInboundMail } from '../inbound-mail-parser.ts';

export interface TestMailbox extends InboundMailbox {
  /** Every message handed over, committed or not. */
  calls: Array<{ mail: ParsedInboundMail; delivery: InboundDelivery }>;
  /** The next `times` messages throw after writing their record. */
  failNext(times: number, message?: string): void;
  /** Messages whose subject contains this are turned down. */
  rejectSubject(text: string | undefined): void;
}

export function createTestMailbox(name: string, domain: string): TestMailbox {
  let failures = 0;
  let failure = 'the test mailbox failed on purpose';
  let rejecting: string | undefined;
  const calls: TestMailbox['calls'] = [];
  return {
    name,
    calls,
    failNext(times, message) {
      failures = times;
      if (message) failure = message;
    },
    rejectSubject(text) {
      rejecting = text;
    },
    accepts: (address) => address.endsWith(`@${domain}`),
    async handle(trx, mail, delivery) {
      calls.push({ mail, delivery });
      if (rejecting !== undefined && mail.subject.includes(rejecting)) return { rejected: 'not for this mailbox' };
      const id = newId();
      await sql`insert into test_mailbox_records (id, mailbox, mail_id, subject) values (${id}, ${name}, ${delivery.mailId}, ${mail.subject})`.execute(
        trx,
      );
      if (failures > 0) {
        failures -= 1;
        throw new Error(failure);
      }
      return { produced: { kind: 'test-record', id } };
    },
  };
}

export async function createTestMailboxTable(db: Kysely<DB>): Promise<void> {
  await sql`create table if not exists test_mailbox_records (id text primary key, mailbox text not null, mail_id text not null, subject text not null)`.execute(
    db,
  );
}

export async function testMailboxRecords(
  db: Kysely<DB>,
  mailId?: string,
): Promise<Array<{ id: string; mailbox: string; mail_id: string; subject: string }>> {
  const result = await sql<{ id: string; mailbox: string; mail_id: string; subject: string }>`
    select id, mailbox, mail_id, subject from test_mailbox_records
    ${mailId === undefined ? sql`` : sql`where mail_id = ${mailId}`} order by id`.execute(db);
  return result.rows;
}
