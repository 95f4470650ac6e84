// A campaign's message as the DPO writes it: GOV.UK Notify-style ((placeholders)) filled in per
// person, and the checks shown before approval: the Article 34 content a breach notice must carry
// (UK GDPR Article 34(2) with Article 33(3)(b)-(d), and the ICO's "what the person should do"), and
// the rules for every message Wardroom sends (DESIGN.md): links only to the council's own domains
// or gov.uk, no shorteners, and never asking for personal details, passwords or payment. The
// checks are plain word lists: they catch a forgotten section or a careless phrase, and say what
// they looked for; the DPO's reading is what approves the message. No I/O.
import { parse as parseDomain } from 'tldts';
import { URL_SHORTENERS } from '../../platform/url-shorteners.ts';

export type TemplateChannel = 'email' | 'sms' | 'letter';

export interface CampaignTemplate {
  emailSubject: string;
  emailBody: string;
  smsBody: string;
  letterBody: string;
}

/** The placeholders a template may use, and what each becomes. */
export const PLACEHOLDERS = {
  name: 'The person’s name as the council holds it (or “Resident” when it has none)',
  councils:
    'Every council whose data named the person, such as “Westminster City Council and the Royal Borough of Kensington and Chelsea”',
  reference: 'The message’s own verification reference, which the “Is this really from the council?” check confirms',
  'data categories': 'The kinds of the person’s data that were involved, from every council that held it',
} as const;

export type Placeholder = keyof typeof PLACEHOLDERS;

export type Personalisation = Record<Placeholder, string>;

export const LIMITS = { subject: 150, body: 8_000, smsBody: 612, title: 120 };

const PLACEHOLDER = /\(\(([^()]{1,40})\)\)/g;

/** The ((placeholders)) in a text, as written (lower-cased, spaces squeezed). */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => normaliseName(m[1] as string)))];
}

const normaliseName = (name: string) => name.trim().toLowerCase().replace(/\s+/g, ' ');

/** The text with each ((placeholder)) replaced; an unknown one is left as it is (the checks refuse it). */
export function fillTemplate(text: string, values: Personalisation): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const key = normaliseName(name);
    return Object.hasOwn(values, key) ? values[key as Placeholder] : whole;
  });
}

/** "A", "A and B", "A, B and C". */
export function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] as string}`;
}

/** A sample person, for previews that need no one's real data. */
export const SAMPLE_PERSONALISATION: Personalisation = {
  name: 'Alex Sample',
  councils: 'Westminster City Council and the Royal Borough of Kensington and Chelsea',
  reference: 'WR-ABCD2345',
  'data categories': 'contact details, such as address, email address and phone number',
};

// GSM 03.38 basic set and its extension table (the extension characters take two places).
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€');

/** How many text message fragments a body takes, as mobile networks count them (and Notify bills). */
export function smsFragments(body: string): { characters: number; fragments: number; unicode: boolean } {
  const chars = [...body];
  const unicode = chars.some((c) => !GSM_BASIC.has(c) && !GSM_EXTENDED.has(c));
  const characters = unicode ? chars.length : chars.reduce((n, c) => n + (GSM_EXTENDED.has(c) ? 2 : 1), 0);
  const [single, multi] = unicode ? [70, 67] : [160, 153];
  const fragments = characters === 0 ? 0 : characters <= single ? 1 : Math.ceil(characters / multi);
  return { characters, fragments, unicode };
}

/** The Article 34 parts, with the words each is recognised by. */
export const ARTICLE_34_PARTS = [
  {
    key: 'nature',
    text: 'What happened: the nature of the breach',
    words: ['cyber attack', 'cyber-attack', 'attack', 'breach', 'copied', 'accessed', 'stolen', 'what happened'],
  },
  {
    key: 'contact',
    text: 'Who to contact: the data protection officer or another contact point',
    words: ['data protection officer', 'contact', 'helpline', 'call us', 'email us', 'write to'],
  },
  {
    key: 'consequences',
    text: 'What could happen as a result: the likely consequences',
    words: ['could', 'might', 'may be', 'may use', 'risk', 'consequence', 'scam', 'fraud', 'criminals'],
  },
  {
    key: 'measures',
    text: 'What the council has done and is doing about it',
    words: [
      'we have',
      'we are',
      'we’ve',
      "we've",
      'we will',
      'investigat',
      'police',
      'national crime agency',
      'secured',
    ],
  },
  {
    key: 'advice',
    text: 'What the person should do to protect themselves',
    words: [
      'you should',
      'you can',
      'be wary',
      'be careful',
      'do not',
      'don’t',
      "don't",
      'never',
      'we recommend',
      'what you should do',
      'what to do',
    ],
  },
] as const;

export type Article34Part = (typeof ARTICLE_34_PARTS)[number]['key'];

export interface TemplateCheck {
  /** Shown as a list to the DPO: each part present or missing, per channel. */
  article34: Array<{ channel: TemplateChannel; part: Article34Part; text: string; present: boolean }>;
  /** Things that stop approval, in words. */
  problems: Array<{ channel: TemplateChannel | 'all'; text: string }>;
  /** Things to look at that do not stop approval. */
  warnings: Array<{ channel: TemplateChannel; text: string }>;
  sms: { characters: number; fragments: number; unicode: boolean };
}

/** Phrasing that asks the reader for something a council's breach notice never asks for. */
const FORBIDDEN_ASKS: Array<{ pattern: RegExp; text: string }> = [
  {
    pattern:
      /\b(?:send|give|tell|confirm|enter|provide|verify|update|reply with|type)\b[^.!?\n]{0,40}\b(?:password|passcode|pin|security code|one-time code|login|log-in details)\b/i,
    text: 'asks for a password, PIN or security code',
  },
  {
    pattern:
      /\b(?:send|give|tell|confirm|enter|provide|verify|update|reply with)\b[^.!?\n]{0,40}\b(?:bank|card|account number|sort code|payment details|national insurance|date of birth|personal details|address details)\b/i,
    text: 'asks for bank, card or personal details',
  },
  {
    pattern: /\b(?:make a payment|pay (?:a|an|the|us|your)|payment of|a fee|fee of|refund|compensation)\b/i,
    text: 'mentions paying, a fee or a refund (scammers copy these)',
  },
  {
    pattern: /\b(?:click|tap) (?:here|the link|this link|below)\b/i,
    text: 'says “click here”: show the address in full so people can see where it goes',
  },
  {
    pattern: /\battach(?:ed|ment)\b/i,
    text: 'mentions an attachment: Wardroom’s messages never carry one',
  },
];

// Addresses written out (https://…, www.…) or bare (council.gov.uk/page).
const LINK =
  /\b(?:https?:\/\/[^\s<>()"]+|www\.[^\s<>()"]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:uk|com|org|net|io|ly|co|me|info|gd|gy|at|cc|id|de)(?:\/[^\s<>()"]*)?)/gi;
const EMAIL_ADDRESS = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** The link problems in a text: links must go to the council's own domains or gov.uk. */
export function linkProblems(text: string, ownDomains: readonly string[]): string[] {
  const problems: string[] = [];
  const withoutEmails = text.replace(EMAIL_ADDRESS, ' ');
  const own = ownDomains.map((d) => d.toLowerCase());
  for (const match of withoutEmails.matchAll(LINK)) {
    const raw = (match[0] as string).replace(/[.,;:!?]+$/, '');
    if (raw.includes('((')) continue;
    const hostname = parseDomain(raw.startsWith('http') ? raw : `https://${raw}`).hostname?.toLowerCase();
    if (!hostname) continue;
    const domain = parseDomain(hostname).domain?.toLowerCase() ?? hostname;
    if (URL_SHORTENERS.has(hostname) || URL_SHORTENERS.has(domain)) {
      problems.push(`“${raw}” is a link shortener: write the council’s own address in full`);
    } else if (raw.toLowerCase().startsWith('http://')) {
      problems.push(`“${raw}” is not https: use the https:// address`);
    } else if (!(
      hostname === 'gov.uk' ||
      hostname.endsWith('.gov.uk') ||
      own.some((d) => hostname === d || hostname.endsWith(`.${d}`))
    )) {
      problems.push(`“${raw}” is not on the council’s own website or gov.uk`);
    }
  }
  return problems;
}

const has = (text: string, words: readonly string[]) => {
  const lower = text.toLowerCase();
  return words.some((w) => lower.includes(w));
};

/** The checks the DPO sees, and that approval requires to pass. */
export function checkTemplate(template: CampaignTemplate, ownDomains: readonly string[]): TemplateCheck {
  const bodies: Array<[TemplateChannel, string]> = [
    ['email', `${template.emailSubject}\n${template.emailBody}`],
    ['sms', template.smsBody],
    ['letter', template.letterBody],
  ];
  const problems: TemplateCheck['problems'] = [];
  const warnings: TemplateCheck['warnings'] = [];
  const article34: TemplateCheck['article34'] = [];

  if (template.emailSubject.trim() === '') problems.push({ channel: 'email', text: 'Enter the email subject' });
  if (template.emailSubject.length > LIMITS.subject) {
    problems.push({ channel: 'email', text: `The email subject must be ${LIMITS.subject} characters or fewer` });
  }
  if (/[\r\n]/.test(template.emailSubject))
    problems.push({ channel: 'email', text: 'The email subject must be one line' });

  for (const [channel, text] of bodies) {
    const name = channel === 'sms' ? 'text message' : channel;
    if (text.trim() === '') {
      problems.push({ channel, text: `Enter the ${name}` });
      continue;
    }
    const unknown = placeholdersIn(text).filter((p) => !Object.hasOwn(PLACEHOLDERS, p));
    for (const p of unknown)
      problems.push({ channel, text: `The ${name} uses ((${p})), which Wardroom does not fill in` });
    const used = placeholdersIn(text);
    if (!used.includes('name')) problems.push({ channel, text: `The ${name} must name the person: use ((name))` });
    if (!used.includes('reference')) {
      problems.push({ channel, text: `The ${name} must carry its verification reference: use ((reference))` });
    }
    for (const p of linkProblems(text, ownDomains)) problems.push({ channel, text: `The ${name}: ${p}` });
    for (const ask of FORBIDDEN_ASKS) {
      if (ask.pattern.test(text)) problems.push({ channel, text: `The ${name} ${ask.text}` });
    }
    for (const part of ARTICLE_34_PARTS) {
      const present = has(text, part.words);
      article34.push({ channel, part: part.key, text: part.text, present });
      if (present) continue;
      // A text message is too short for everything: it points to the full notice, so a gap is a warning.
      if (channel === 'sms')
        warnings.push({ channel, text: `The text message does not say: ${part.text.toLowerCase()}` });
      else problems.push({ channel, text: `The ${name} does not say: ${part.text.toLowerCase()}` });
    }
  }
  if (template.emailBody.length > LIMITS.body || template.letterBody.length > LIMITS.body) {
    problems.push({
      channel: 'all',
      text: `The email and the letter must each be ${LIMITS.body.toLocaleString('en-GB')} characters or fewer`,
    });
  }
  // Measured with the sample's long council names, as most people's messages will be.
  const sms = smsFragments(fillTemplate(template.smsBody, SAMPLE_PERSONALISATION));
  if (sms.characters > LIMITS.smsBody) {
    problems.push({
      channel: 'sms',
      text: `The text message must be ${LIMITS.smsBody} characters or fewer when filled in (it is ${sms.characters})`,
    });
  } else if (sms.fragments > 3) {
    warnings.push({
      channel: 'sms',
      text: `The text message takes ${sms.fragments} fragments: each is paid for, and long texts look like scams`,
    });
  }
  if (sms.unicode) {
    warnings.push({
      channel: 'sms',
      text: 'The text message has characters outside the GSM alphabet (such as curly quotes), so each fragment holds 67 characters, not 153',
    });
  }
  return { article34, problems, warnings, sms };
}

/** A first draft, filled in from the breach record so the DPO starts from the Article 34 content. */
export function draftFromBreach(input: {
  councilName: string;
  description: string;
  consequences: string;
  measuresTaken: string;
  dpoName: string;
  dpoEmail: string;
  dpoPhone: string;
  websiteUrl: string | null;
}): CampaignTemplate {
  const contact = [input.dpoPhone && `call ${input.dpoPhone}`, input.dpoEmail && `email ${input.dpoEmail}`]
    .filter(Boolean)
    .join(' or ');
  const website = input.websiteUrl ? `\n\nYou can read more at ${input.websiteUrl}` : '';
  const body = [
    'Dear ((name))',
    `We are writing to tell you about a cyber attack on ((councils)). What happened: ${input.description.trim() || 'criminals copied data from council systems.'}`,
    'Your data that was involved: ((data categories)).',
    `What could happen as a result: ${input.consequences.trim() || 'criminals could use the data to make scam calls, emails or messages look genuine.'}`,
    `What we have done: ${input.measuresTaken.trim() || 'we have secured our systems and are working with the police and the National Crime Agency.'}`,
    'What you should do: be wary of unexpected calls, emails and messages. We will never ask you for your password, bank details or payment.',
    `To contact our data protection officer${input.dpoName ? `, ${input.dpoName},` : ''} ${contact || 'use the contact details on our website'}.`,
    `This message’s reference is ((reference)). You can check it is really from us on the council’s website.${website}`,
  ].join('\n\n');
  return {
    emailSubject: `${input.councilName}: your personal data and the cyber attack`,
    emailBody: body,
    letterBody: body,
    smsBody: `((name)), ((councils)): a cyber attack affected your data. We have written to you with what happened and what you should do. We will never ask for passwords or bank details. Contact our data protection officer: ${input.dpoPhone || input.dpoEmail || 'see our website'}. Ref ((reference))`,
  };
}
