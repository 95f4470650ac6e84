// The mailboxes that take inbound mail. The platform receives, stores and parses mail; a capability
// (enquiries, suspicious-message reports) registers a mailbox that says which addresses it takes and
// turns a message into its own records. The platform depends on no capability: they register here.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { ParsedInboundMail } from './inbound-mail-parser.ts';

export type InboundMailSource = 'smtp' | 'imap' | 'import';

/** What a mailbox is given about the message besides its parsed content. */
export interface InboundDelivery {
  /** The inbound_mail row: the message's id in the platform. */
  mailId: string;
  source: InboundMailSource;
  receivedAt: string;
  /** The SMTP envelope sender (MAIL FROM); undefined for IMAP, import and the null sender. */
  envelopeFrom: string | undefined;
  /** Every envelope recipient the platform accepted (SMTP), or those given to an import. */
  envelopeTo: string[];
  /**
   * The addresses this mailbox is taking the message for, lower-case: the envelope recipients it
   * accepted, or (without an envelope) the header recipients it accepted. Empty when an IMAP
   * account feeds this mailbox and no header names an address it accepts.
   */
  recipients: string[];
  /** The message exactly as it arrived. Keep it if the record needs the original (say, to forward it). */
  raw: Buffer;
  sha256: string;
}

/** A record a mailbox made from a message, such as `{ kind: 'enquiry-case', id }`. */
export interface ProducedRecord {
  kind: string;
  id: string;
}

export type InboundMailOutcome =
  /** The message became (or joined) a record. The organisation scopes who may see the raw message. */
  | { produced: ProducedRecord; organisationId?: string | null | undefined }
  /** The mailbox will not take it, for a reason staff can read (logged; the raw message is kept). */
  | { rejected: string };

export interface InboundMailbox {
  /** Lower-case words joined by hyphens, unique: `enquiries`, `suspicious-reports`. Stored on the row. */
  readonly name: string;
  /**
   * Whether this mailbox takes mail for `address` (lower-case). The SMTP listener asks at RCPT TO and
   * refuses (550) an address no mailbox accepts, so answer quickly; `db` is there for addresses kept
   * in the database. Never write from here.
   */
  accepts(address: string, db: Kysely<DB>): boolean | Promise<boolean>;
  /**
   * Turns the message into the mailbox's records, writing only through `trx`: the inbound_mail row
   * is marked processed in the same transaction, so the records exist if and only if the message is
   * marked done. Throwing rolls everything back; the message is marked failed and tried again later
   * (at least once: the message is never handed over twice once a run has committed). No network
   * calls here: on SQLite the transaction holds the only connection. Queue follow-up work (replies,
   * acknowledgements) with enqueueJob(trx, …).
   */
  handle(trx: Transaction<DB>, mail: ParsedInboundMail, delivery: InboundDelivery): Promise<InboundMailOutcome>;
}

const MAILBOX_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export class InboundMailboxes {
  readonly #mailboxes: InboundMailbox[] = [];

  /**
   * Adds a mailbox. When two mailboxes accept the same address, the one registered first takes it:
   * register the more specific first.
   */
  register(mailbox: InboundMailbox): this {
    if (!MAILBOX_NAME.test(mailbox.name) || mailbox.name.length > 60) {
      throw new Error(`Mailbox name "${mailbox.name}" must be lower-case words joined by hyphens`);
    }
    if (this.byName(mailbox.name)) throw new Error(`A mailbox called "${mailbox.name}" is already registered`);
    this.#mailboxes.push(mailbox);
    return this;
  }

  byName(name: string): InboundMailbox | undefined {
    return this.#mailboxes.find((m) => m.name === name);
  }

  /** The mailbox that takes mail for `address`, if any. */
  async forAddress(address: string, db: Kysely<DB>): Promise<InboundMailbox | undefined> {
    const normalised = normaliseAddress(address);
    if (normalised === undefined) return undefined;
    for (const mailbox of this.#mailboxes) {
      if (await mailbox.accepts(normalised, db)) return mailbox;
    }
    return undefined;
  }

  names(): string[] {
    return this.#mailboxes.map((m) => m.name);
  }

  /**
   * Of `addresses` (lower-case), those a mailbox other than `own` takes, each with that mailbox's
   * name. An address staff set for one purpose must not already take mail for another, or its mail
   * would go to whichever mailbox was registered first. Mailboxes keep their addresses for a few
   * seconds: for an exact answer, ask a registry made for the question.
   */
  async takenByOthers(
    own: string,
    addresses: string[],
    db: Kysely<DB>,
  ): Promise<Array<{ address: string; mailbox: string }>> {
    const taken: Array<{ address: string; mailbox: string }> = [];
    for (const address of addresses) {
      for (const mailbox of this.#mailboxes) {
        if (mailbox.name !== own && (await mailbox.accepts(address, db))) {
          taken.push({ address, mailbox: mailbox.name });
          break;
        }
      }
    }
    return taken;
  }
}

/** Why staff cannot give an address another mailbox takes, for an error summary. */
export function takenAddressProblem(taken: { address: string; mailbox: string }): string {
  return `${taken.address} already takes mail for ${taken.mailbox.replaceAll('-', ' ')}: choose another`;
}

/** An email address as mailboxes see it: trimmed, lower-case, or undefined if it is not one. */
export function normaliseAddress(address: string): string | undefined {
  const trimmed = address.trim().replace(/^<|>$/g, '').toLowerCase();
  return /^[^\s@<>]+@[^\s@<>]+$/.test(trimmed) && trimmed.length <= 320 ? trimmed : undefined;
}
