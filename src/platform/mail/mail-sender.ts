// The contract every mail transport meets (SMTP, GOV.UK Notify), and the two ways a send can fail.
// The job queue only needs to know which of the two it is: a temporary failure is tried again
// later with back-off; a permanent one would fail the same way every time, so the job stops.
import { PermanentJobError } from '../jobs/job-handlers.ts';
import { InvalidMessageError, type OutboundMessage } from './outbound-message.ts';

export interface SentMail {
  /** The provider's id for the message: the SMTP Message-ID, or the Notify notification id. */
  providerId: string;
}

export interface MailSender {
  /**
   * Sends one message. Resolves once the provider has accepted it, which is not delivery. Rejects
   * with TemporaryDeliveryError, PermanentDeliveryError or InvalidMessageError.
   */
  send(message: OutboundMessage): Promise<SentMail>;
  /** Closes what the sender keeps open (an SMTP pool's connections); later sends fail. */
  close?(): Promise<void>;
}

export type MailProvider = 'smtp' | 'notify';

interface DeliveryErrorDetails {
  provider: MailProvider;
  /** The SMTP reply code or HTTP status, when the provider gave one. */
  status?: number | undefined;
  cause?: unknown;
}

/** The provider could not take the message now (a 4xx reply, a rate limit, no connection). */
export class TemporaryDeliveryError extends Error {
  readonly provider: MailProvider;
  readonly status: number | undefined;

  constructor(message: string, details: DeliveryErrorDetails) {
    super(message, { cause: details.cause });
    this.name = 'TemporaryDeliveryError';
    this.provider = details.provider;
    this.status = details.status;
  }
}

/** The provider refused the message, or the setup is wrong; sending it again would fail again. */
export class PermanentDeliveryError extends Error {
  readonly provider: MailProvider | undefined;
  readonly status: number | undefined;

  constructor(message: string, details: Partial<DeliveryErrorDetails> = {}) {
    super(message, { cause: details.cause });
    this.name = 'PermanentDeliveryError';
    this.provider = details.provider;
    this.status = details.status;
  }
}

/**
 * For a delivery job: turns a failure that retrying cannot fix (a refusal, a bad message) into one
 * that makes the job dead with the reason. Anything else, a temporary failure or an unexpected
 * error, is returned as it is, so the job is tried again with back-off until its attempts run out.
 */
export function asJobFailure(error: unknown): unknown {
  if (error instanceof PermanentDeliveryError || error instanceof InvalidMessageError) {
    return new PermanentJobError(error.message, { cause: error });
  }
  return error;
}
