// What a report points at that others can block or look for: the unofficial domains and links in
// it, the sender (and its domain), phone numbers that are not the council's, attachment hashes. Worked out once at
// intake (stored as JSON on the report) and gathered per campaign for the console and the exports.
import { isUnder } from '../suspicious-messages/lookalike-domains.ts';
import type { MessageFeatures } from '../suspicious-messages/message-analysis.ts';
import type { FoundPhoneNumber } from '../suspicious-messages/phone-numbers.ts';

export interface ReportIndicators {
  domains: string[];
  links: string[];
  /** Email addresses, or a text message's number or sender ID. */
  senders: string[];
  /** E.164. */
  phoneNumbers: string[];
  /** SHA-256, hex. */
  attachmentHashes: string[];
}

const MAX_EACH = 50;

const add = (list: string[], value: string) => {
  if (value && !list.includes(value) && list.length < MAX_EACH) list.push(value);
};

export function reportIndicators(
  features: MessageFeatures,
  phoneNumbers: readonly FoundPhoneNumber[],
  officialDomains: readonly string[],
): ReportIndicators {
  const found: ReportIndicators = { domains: [], links: [], senders: [], phoneNumbers: [], attachmentHashes: [] };
  const official = (host: string) => officialDomains.some((d) => isUnder(host, d));
  for (const link of features.links) {
    if (official(link.host.host)) continue;
    add(found.domains, link.host.host.toLowerCase());
    add(found.links, link.url.slice(0, 2048));
  }
  if (features.sender && !features.senderIsOfficial) {
    const sender = features.sender.trim().toLowerCase();
    add(found.senders, sender);
    const at = sender.lastIndexOf('@');
    if (at > 0 && !official(sender.slice(at + 1))) add(found.domains, sender.slice(at + 1));
  }
  for (const number of phoneNumbers) if (!number.officialFor) add(found.phoneNumbers, number.e164);
  for (const hash of features.attachmentHashes) add(found.attachmentHashes, hash.toLowerCase());
  return found;
}

/** Reads stored indicators, keeping only lists of strings whatever was stored. */
export function parseIndicators(value: unknown): ReportIndicators {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const list = (name: string) =>
    Array.isArray(v[name]) ? (v[name] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  return {
    domains: list('domains'),
    links: list('links'),
    senders: list('senders'),
    phoneNumbers: list('phoneNumbers'),
    attachmentHashes: list('attachmentHashes'),
  };
}

/** Every indicator of a campaign's reports, each once, with how many reports carry it. */
export function mergeIndicators(
  all: readonly ReportIndicators[],
): Record<keyof ReportIndicators, Array<{ value: string; reports: number }>> {
  const merged = {} as Record<keyof ReportIndicators, Map<string, number>>;
  const kinds: Array<keyof ReportIndicators> = ['domains', 'links', 'senders', 'phoneNumbers', 'attachmentHashes'];
  for (const kind of kinds) merged[kind] = new Map();
  for (const indicators of all)
    for (const kind of kinds)
      for (const value of indicators[kind]) merged[kind].set(value, (merged[kind].get(value) ?? 0) + 1);
  const out = {} as Record<keyof ReportIndicators, Array<{ value: string; reports: number }>>;
  for (const kind of kinds)
    out[kind] = [...merged[kind]]
      .map(([value, reports]) => ({ value, reports }))
      .sort((a, b) => b.reports - a.reports || a.value.localeCompare(b.value))
      .slice(0, 500);
  return out;
}
