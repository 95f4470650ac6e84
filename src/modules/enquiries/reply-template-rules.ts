// What a reply template may say, and how its placeholders are filled. Pure functions: the service
// stores templates, the routes read the form. Placeholders are written GOV.UK Notify's way, in
// double brackets, so comms staff who know Notify need learn nothing new.
import type { EnquiryTopic } from '../../platform/db/schema.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { onOfficialDomain } from '../incidents/incident-setup.service.ts';
import { TOPICS } from './enquiry-form.ts';

export const PLACEHOLDERS = [
  { name: 'name', meaning: 'the resident’s name (or “resident” if we do not have it)' },
  { name: 'reference', meaning: 'the enquiry reference, such as WCC-7K4F-9QXD' },
  { name: 'council', meaning: 'the council’s name' },
  { name: 'incident page', meaning: 'the address of the council’s cyber incident page, in full' },
] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number]['name'];
export type PlaceholderValues = Record<PlaceholderName, string>;

export const TEMPLATE_LIMITS = { name: 100, subject: 150, body: 5000, personal: 1000 };

/** What comms typed, as typed, so a page with errors can show it back. */
export interface TemplateInput {
  name: string;
  topics: string[];
  subject: string;
  body: string;
}

export interface TemplateFields {
  name: string;
  topics: EnquiryTopic[];
  subject: string;
  body: string;
}

const PLACEHOLDER = /\(\(([^()]*)\)\)/g;
const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;

/** A placeholder's name as compared: Notify ignores case and extra spaces, and so do we. */
const placeholderKey = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

function isPlaceholderName(key: string): key is PlaceholderName {
  return PLACEHOLDERS.some((p) => p.name === key);
}

/** The placeholders in `text` that Wardroom does not know, as written. */
export function unknownPlaceholders(text: string): string[] {
  const unknown: string[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (!isPlaceholderName(placeholderKey(match[1] ?? '')) && !unknown.includes(match[0])) unknown.push(match[0]);
  }
  return unknown;
}

/** Double brackets left over once every ((placeholder)) is taken out: a placeholder typed wrongly. */
function hasBrokenPlaceholder(text: string): boolean {
  const rest = text.replace(PLACEHOLDER, '');
  return rest.includes('((') || rest.includes('))');
}

function placeholderList(): string {
  const names = PLACEHOLDERS.map((p) => `((${p.name}))`);
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/**
 * The links in `text` that may not go to residents: only https addresses on the council's own
 * domains or gov.uk, shown in full, are allowed (residents are told to trust nothing else).
 */
export function disallowedLinks(text: string, officialDomains: readonly string[]): string[] {
  const bad: string[] = [];
  for (const match of text.matchAll(LINK)) {
    const link = match[0].replace(/[.,;:!?)]+$/, '');
    let ok = false;
    try {
      const url = new URL(link);
      ok = url.protocol === 'https:' && url.username === '' && onOfficialDomain(url.hostname, officialDomains);
    } catch {
      ok = false;
    }
    if (!ok && !bad.includes(link)) bad.push(link);
  }
  return bad;
}

function domainsInWords(officialDomains: readonly string[]): string {
  return [...officialDomains, 'gov.uk'].join(', ');
}

/** Problems with placeholders and links in a piece of text that goes to residents. */
function textProblems(text: string, what: string, href: string, officialDomains: readonly string[]): FieldError[] {
  const errors: FieldError[] = [];
  const unknown = unknownPlaceholders(text);
  if (unknown.length > 0) {
    errors.push({
      text: `${what} has ${unknown.length === 1 ? 'a placeholder' : 'placeholders'} we do not know: ${unknown.join(', ')}. Use ${placeholderList()}`,
      href,
    });
  } else if (hasBrokenPlaceholder(text)) {
    errors.push({
      text: `${what} has a placeholder without two brackets on each side. Write placeholders like ((name))`,
      href,
    });
  }
  const links = disallowedLinks(text, officialDomains);
  if (links.length > 0) {
    errors.push({
      text: `${what} links to ${links.join(', ')}. Links must start with https:// and be on the council’s own website or GOV.UK (${domainsInWords(officialDomains)})`,
      href,
    });
  }
  return errors;
}

/** Checks a template as comms typed it; the clean fields when it may be saved. */
export function validateTemplate(
  input: TemplateInput,
  officialDomains: readonly string[],
): { ok: true; fields: TemplateFields } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const name = input.name.trim();
  const subject = input.subject.trim();
  // Line endings as one kind, and no trailing space on lines, so versions compare fairly.
  const body = input.body
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim();

  if (name === '') errors.push({ text: 'Enter a name for the template', href: '#name' });
  else if (name.length > TEMPLATE_LIMITS.name) {
    errors.push({ text: `The name must be ${TEMPLATE_LIMITS.name} characters or fewer`, href: '#name' });
  }

  const topics = input.topics.filter((t): t is EnquiryTopic => TOPICS.some((known) => known.value === t));
  if (topics.length !== input.topics.length) errors.push({ text: 'Select topics from the list', href: '#topics' });

  if (subject === '') errors.push({ text: 'Enter a subject line', href: '#subject' });
  else if (subject.length > TEMPLATE_LIMITS.subject) {
    errors.push({ text: `The subject line must be ${TEMPLATE_LIMITS.subject} characters or fewer`, href: '#subject' });
  } else if (/[\r\n]/.test(input.subject)) {
    errors.push({ text: 'The subject line must be one line', href: '#subject' });
  } else if (subject.includes('((') || subject.includes('))')) {
    // A name in a subject line shows on lock screens and in shared inboxes; the reference is added for you.
    errors.push({
      text: 'The subject line cannot have placeholders. The enquiry reference is added to it for you',
      href: '#subject',
    });
  }

  if (body === '') errors.push({ text: 'Enter the text of the reply', href: '#body' });
  else if (body.length > TEMPLATE_LIMITS.body) {
    errors.push({
      text: `The text must be ${TEMPLATE_LIMITS.body.toLocaleString('en-GB')} characters or fewer`,
      href: '#body',
    });
  } else {
    if (/^(dear|hello|hi)\b/i.test(body)) {
      errors.push({
        text: 'Leave out the greeting. Every reply starts with “Dear” and the resident’s name for you',
        href: '#body',
      });
    }
    errors.push(...textProblems(body, 'The text', '#body', officialDomains));
  }

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, fields: { name, topics, subject, body } };
}

/** Checks the paragraph an agent may add to a reply; the clean text ('' for none). */
export function validatePersonalParagraph(
  text: string,
  officialDomains: readonly string[],
): { ok: true; text: string } | { ok: false; errors: FieldError[] } {
  const clean = text.replace(/\r\n?/g, '\n').trim();
  if (clean === '') return { ok: true, text: '' };
  if (clean.length > TEMPLATE_LIMITS.personal) {
    return {
      ok: false,
      errors: [
        {
          text: `Your paragraph must be ${TEMPLATE_LIMITS.personal.toLocaleString('en-GB')} characters or fewer`,
          href: '#personal',
        },
      ],
    };
  }
  const errors = textProblems(clean, 'Your paragraph', '#personal', officialDomains);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, text: clean };
}

/** The text with every placeholder filled. Unknown ones (which validation keeps out) are left as they are. */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const key = placeholderKey(name);
    return isPlaceholderName(key) ? values[key] : whole;
  });
}
