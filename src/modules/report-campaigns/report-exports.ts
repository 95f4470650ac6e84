// A campaign's indicators for others to block: a STIX 2.1 bundle (the council as the identity that
// made them, one indicator object per domain, URL, sender, attachment hash and phone number, each
// marked with a TLP 2.0 marking definition) and CSV. Indicator ids are UUIDv5 of the indicator's
// value and the council, so exporting again gives the same ids (STIX consumers then update rather
// than duplicate them).
//
// STIX has no cyber-observable for a telephone number, so a phone number is an indicator whose
// pattern uses the custom observable `x-wardroom-phone-number:value` (custom objects must start
// with `x-`, STIX 2.1 section 11.1), and its indicator_types say what it is for.
import { createHash } from 'node:crypto';
import type { ReportIndicators } from './report-indicators.ts';

/** The standard TLP 2.0 marking definitions (STIX 2.1 / OASIS CTI TLP 2.0 extension ids). */
export const TLP_MARKINGS = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
} as const;
export type Tlp = keyof typeof TLP_MARKINGS;

const TLP_EXTENSION = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

/** The namespace for Wardroom's UUIDv5 ids (itself a UUIDv5 of "wardroom" in the URL namespace). */
const NAMESPACE = uuidV5('https://wardroom.example/stix', '6ba7b811-9dad-11d1-80b4-00c04fd430c8');

export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface ExportCampaign {
  id: string;
  title: string;
  firstReportedAt: string;
  council: { id: string; name: string };
  verdict: string | null;
}

type Kind = keyof ReportIndicators;

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function pattern(kind: Kind, value: string): string | undefined {
  switch (kind) {
    case 'domains':
      return `[domain-name:value = ${quote(value)}]`;
    case 'links':
      return `[url:value = ${quote(value)}]`;
    case 'senders':
      return value.includes('@')
        ? `[email-addr:value = ${quote(value)}]`
        : `[x-wardroom-phone-number:value = ${quote(value)}]`;
    case 'phoneNumbers':
      return `[x-wardroom-phone-number:value = ${quote(value)}]`;
    case 'attachmentHashes':
      return /^[0-9a-f]{64}$/i.test(value) ? `[file:hashes.'SHA-256' = ${quote(value.toLowerCase())}]` : undefined;
  }
}

const KIND_NAMES: Record<Kind, string> = {
  domains: 'Domain',
  links: 'Link',
  senders: 'Sender',
  phoneNumbers: 'Phone number',
  attachmentHashes: 'Attachment SHA-256',
};

/** Each indicator once, in a fixed order. */
export function indicatorRows(indicators: Record<Kind, Array<{ value: string; reports: number }>>) {
  const rows: Array<{ kind: Kind; value: string; reports: number }> = [];
  for (const kind of Object.keys(KIND_NAMES) as Kind[])
    for (const { value, reports } of indicators[kind]) rows.push({ kind, value, reports });
  return rows;
}

export function stixBundle(
  campaign: ExportCampaign,
  indicators: Record<Kind, Array<{ value: string; reports: number }>>,
  options: { tlp: Tlp; now: string },
) {
  const identityId = `identity--${uuidV5(`council:${campaign.council.id}`, NAMESPACE)}`;
  const marking = TLP_MARKINGS[options.tlp];
  const created = campaign.firstReportedAt;
  const objects: Array<Record<string, unknown>> = [
    {
      type: 'identity',
      spec_version: '2.1',
      id: identityId,
      created,
      modified: created,
      name: campaign.council.name,
      identity_class: 'organization',
      sectors: ['government'],
    },
  ];
  for (const row of indicatorRows(indicators)) {
    const stixPattern = pattern(row.kind, row.value);
    if (!stixPattern) continue;
    objects.push({
      type: 'indicator',
      spec_version: '2.1',
      id: `indicator--${uuidV5(`${campaign.council.id}:${row.kind}:${row.value}`, NAMESPACE)}`,
      created_by_ref: identityId,
      created,
      modified: options.now,
      name: `${KIND_NAMES[row.kind]} in reported scam: ${campaign.title}`.slice(0, 250),
      description: `Seen in ${row.reports} report${row.reports === 1 ? '' : 's'} to ${campaign.council.name} of the campaign "${campaign.title}".`,
      indicator_types: ['malicious-activity'],
      pattern: stixPattern,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: created,
      labels: [`campaign:${campaign.id}`, ...(campaign.verdict ? [`analyst-verdict:${campaign.verdict}`] : [])],
      object_marking_refs: [marking],
    });
  }
  // The TLP marking definition itself, as the TLP 2.0 extension defines it, so consumers that do
  // not know the standard ids can still read it.
  objects.push({
    type: 'marking-definition',
    spec_version: '2.1',
    id: marking,
    created: '2022-10-01T00:00:00.000Z',
    name: `TLP:${options.tlp.toUpperCase()}`,
    extensions: { [TLP_EXTENSION]: { extension_type: 'property-extension', tlp_2_0: options.tlp } },
  });
  return { type: 'bundle', id: `bundle--${uuidV5(`${campaign.id}:${options.now}`, NAMESPACE)}`, objects };
}

/** A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading quote. */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function indicatorsCsv(
  campaign: ExportCampaign,
  indicators: Record<Kind, Array<{ value: string; reports: number }>>,
  tlp: Tlp,
) {
  const lines = [['type', 'value', 'reports', 'campaign', 'tlp'].join(',')];
  for (const row of indicatorRows(indicators))
    lines.push(
      [KIND_NAMES[row.kind], row.value, row.reports, campaign.title, `TLP:${tlp.toUpperCase()}`].map(csvCell).join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}
