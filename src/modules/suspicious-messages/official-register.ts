// The register of official contact that the analyser compares messages with: each organisation's
// domains, phone numbers, SMS sender IDs and the names people know it by, plus the GOV.UK Notify
// domains that councils send through and the mail providers whose Authentication-Results we trust.
// Built from the demo organisations, or read from a JSON file that replaces it.
import { parsePhoneNumberFromString } from 'libphonenumber-js';

export interface OfficialOrganisation {
  slug: string;
  name: string;
  /** Names and abbreviations a message might use to pass itself off as this organisation. */
  aliases: string[];
  /** Registrable domains (or hosts under them) that the organisation sends from and links to. */
  domains: string[];
  /** Phone numbers as published, any format: compared in E.164. */
  phoneNumbers: string[];
  /** Alphanumeric SMS sender IDs, compared without case or spaces. */
  smsSenderIds: string[];
}

export interface OfficialRegister {
  organisations: OfficialOrganisation[];
  /** Hosts GOV.UK Notify sends from, on behalf of any organisation in the register. */
  notifyDomains: string[];
  /** Domains that are official for every organisation (gov.uk itself). */
  sharedDomains: string[];
  /** Other official numbers residents are sent to (the General Register Office, say). */
  sharedPhoneNumbers: string[];
  /** authserv-ids whose Authentication-Results headers are believed; none by default. */
  trustedAuthServIds: string[];
}

export interface RegisterOrganisationSource {
  slug: string;
  name: string;
  shortName: string;
  kind: string;
  officialDomains: string[];
}

/** Published contact for the demo councils (shared/seed/incident-facts.md); SMS IDs are the demo's. */
const DEMO_CONTACT: Record<string, { aliases: string[]; phoneNumbers: string[]; smsSenderIds: string[] }> = {
  westminster: {
    aliases: ['Westminster City Council', 'Westminster Council', 'City of Westminster', 'WCC'],
    phoneNumbers: [
      '020 7641 1919',
      '020 7641 6000',
      '0800 358 3783',
      '020 7641 2500',
      '020 7641 4000',
      '020 7641 6180',
    ],
    smsSenderIds: ['WestminCC', 'Westminster', 'WCC'],
  },
  'kensington-chelsea': {
    aliases: [
      'Royal Borough of Kensington and Chelsea',
      'Kensington and Chelsea Council',
      'Kensington & Chelsea',
      'Kensington and Chelsea',
      'RBKC',
    ],
    phoneNumbers: [],
    smsSenderIds: ['RBKC', 'RBKCouncil'],
  },
  'hammersmith-fulham': {
    aliases: ['Hammersmith & Fulham Council', 'Hammersmith and Fulham', 'Hammersmith & Fulham', 'H&F Council', 'LBHF'],
    phoneNumbers: [],
    smsSenderIds: ['LBHF', 'HF Council', 'HandF'],
  },
};

export function buildOfficialRegister(organisations: readonly RegisterOrganisationSource[]): OfficialRegister {
  return {
    organisations: organisations.map((org) => {
      const contact = DEMO_CONTACT[org.slug];
      return {
        slug: org.slug,
        name: org.name,
        // Not the bare short name: "Westminster" is also a university, an abbey and a tube station.
        aliases: unique([org.name, ...(contact?.aliases ?? [])]),
        domains: [...org.officialDomains],
        phoneNumbers: contact?.phoneNumbers ?? [],
        smsSenderIds: contact?.smsSenderIds ?? [],
      };
    }),
    notifyDomains: ['notifications.service.gov.uk'],
    sharedDomains: ['gov.uk'],
    // The General Register Office, Action Fraud and the ICO: numbers genuine council messages give.
    sharedPhoneNumbers: ['0300 123 1837', '0300 123 2040', '0303 123 1113'],
    trustedAuthServIds: [],
  };
}

export class RegisterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegisterError';
  }
}

/** Reads a register from JSON: the same shape as OfficialRegister, lists defaulting to empty. */
export function parseOfficialRegister(json: string): OfficialRegister {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new RegisterError(`The register is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(data) || !Array.isArray(data.organisations))
    throw new RegisterError('The register must be an object with an "organisations" list');
  const organisations = data.organisations.map((entry, index): OfficialOrganisation => {
    if (!isObject(entry) || typeof entry.name !== 'string')
      throw new RegisterError(`Organisation ${index + 1} in the register needs a "name"`);
    return {
      slug: typeof entry.slug === 'string' ? entry.slug : `org-${index + 1}`,
      name: entry.name,
      aliases: unique([entry.name, ...strings(entry.aliases, `organisations[${index}].aliases`)]),
      domains: strings(entry.domains, `organisations[${index}].domains`).map((d) => d.toLowerCase()),
      phoneNumbers: strings(entry.phoneNumbers, `organisations[${index}].phoneNumbers`),
      smsSenderIds: strings(entry.smsSenderIds, `organisations[${index}].smsSenderIds`),
    };
  });
  return {
    organisations,
    notifyDomains: strings(data.notifyDomains ?? ['notifications.service.gov.uk'], 'notifyDomains'),
    sharedDomains: strings(data.sharedDomains ?? ['gov.uk'], 'sharedDomains'),
    sharedPhoneNumbers: strings(data.sharedPhoneNumbers, 'sharedPhoneNumbers'),
    trustedAuthServIds: strings(data.trustedAuthServIds, 'trustedAuthServIds').map((d) => d.toLowerCase()),
  };
}

/** The register in the form the analyser looks things up in. */
export interface RegisterIndex {
  register: OfficialRegister;
  /** Official registrable domains (and hosts) to the organisations they belong to. */
  domainOwners: Map<string, OfficialOrganisation[]>;
  /** Every official domain, for lookalike checks (Notify hosts left out: only gov.uk matters there). */
  lookalikeTargets: string[];
  /** E.164 number to who publishes it. */
  phoneOwners: Map<string, string>;
  /** Normalised sender ID to organisation. */
  senderIdOwners: Map<string, OfficialOrganisation>;
  /**
   * Lower-case aliases with their organisation, longest first. `hint` is the alias's longest plain
   * word, which any text its pattern matches holds: a quick search for it spares most texts the
   * pattern, whose leading "not a letter or digit" makes it try every position.
   */
  aliases: Array<{ alias: string; pattern: RegExp; hint: RegExp | undefined; organisation: OfficialOrganisation }>;
  trustedAuthServIds: Set<string>;
}

export function indexRegister(register: OfficialRegister): RegisterIndex {
  const domainOwners = new Map<string, OfficialOrganisation[]>();
  const phoneOwners = new Map<string, string>();
  const senderIdOwners = new Map<string, OfficialOrganisation>();
  const aliases: RegisterIndex['aliases'] = [];
  for (const organisation of register.organisations) {
    for (const domain of organisation.domains) {
      const key = domain.toLowerCase();
      domainOwners.set(key, [...(domainOwners.get(key) ?? []), organisation]);
    }
    for (const number of organisation.phoneNumbers) {
      const e164 = toE164(number);
      if (e164) phoneOwners.set(e164, organisation.name);
    }
    for (const id of organisation.smsSenderIds) senderIdOwners.set(normaliseSenderId(id), organisation);
    for (const alias of organisation.aliases) {
      if (alias.trim().length < 3) continue;
      aliases.push({ alias, pattern: aliasPattern(alias), hint: aliasHint(alias), organisation });
    }
  }
  for (const number of register.sharedPhoneNumbers) {
    const e164 = toE164(number);
    if (e164) phoneOwners.set(e164, 'a public body the councils send residents to');
  }
  aliases.sort((a, b) => b.alias.length - a.alias.length);
  return {
    register,
    domainOwners,
    lookalikeTargets: unique([...domainOwners.keys(), ...register.sharedDomains.map((d) => d.toLowerCase())]),
    phoneOwners,
    senderIdOwners,
    aliases,
    trustedAuthServIds: new Set(register.trustedAuthServIds.map((d) => d.toLowerCase())),
  };
}

export function toE164(number: string): string | undefined {
  const parsed = parsePhoneNumberFromString(number, 'GB');
  return parsed?.isPossible() ? parsed.number : undefined;
}

export function normaliseSenderId(id: string): string {
  return id.toLowerCase().replace(/[\s._-]/g, '');
}

function aliasPattern(alias: string): RegExp {
  const escaped = alias
    .toLowerCase()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\s+/g, '\\s+')
    .replace(/\\s\+and\\s\+|\\s\+&\\s\+/g, '\\s*(?:and|&)\\s*');
  return new RegExp(`(?:^|[^a-z0-9])${escaped}(?:$|[^a-z0-9])`, 'i');
}

/** The longest run of ASCII letters and digits in the alias, other than an "and" the pattern lets be "&". */
function aliasHint(alias: string): RegExp | undefined {
  const words = alias
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length >= 3 && word !== 'and')
    .sort((a, b) => b.length - a.length);
  return words[0] ? new RegExp(words[0], 'i') : undefined;
}

function strings(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new RegisterError(`"${where}" in the register must be a list of strings`);
  return value as string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
