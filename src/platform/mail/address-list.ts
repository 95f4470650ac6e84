// A list of a council's own email addresses as staff type it into a settings form (enquiry
// addresses, report addresses): one a line, or separated by commas, spaces or semicolons.
import { isEmailAddress } from './outbound-message.ts';

/** The most addresses one list may hold. */
export const MAX_LISTED_ADDRESSES = 20;

/**
 * The addresses in `text`, lower-case and each once, or what is wrong with them in a sentence for
 * the error summary.
 */
export function parseAddressList(text: string): { ok: true; addresses: string[] } | { ok: false; problem: string } {
  const addresses = text
    .split(/[\s,;]+/)
    .map((a) => a.trim().toLowerCase())
    .filter((a) => a !== '');
  const wrong = addresses.filter((a) => !isEmailAddress(a));
  if (wrong.length > 0) return { ok: false, problem: `These are not email addresses: ${wrong.slice(0, 5).join(', ')}` };
  const unique = [...new Set(addresses)];
  if (unique.length > MAX_LISTED_ADDRESSES) {
    return { ok: false, problem: `Enter ${MAX_LISTED_ADDRESSES} addresses or fewer` };
  }
  return { ok: true, addresses: unique };
}
