// The web form "Contact us about the cyber incident": its questions, and checking what a resident
// typed. Pure functions: the routes read the form, the service stores the answers.
import type { EnquiryTopic } from '../../platform/db/schema.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';

export const TOPICS: ReadonlyArray<{ value: EnquiryTopic; text: string; staffText: string }> = [
  { value: 'affected', text: 'I want to know if I’m affected', staffText: 'Am I affected' },
  {
    value: 'suspicious-contact',
    text: 'I’ve had a call, email or message that might be a scam',
    staffText: 'Suspicious contact',
  },
  { value: 'service', text: 'I cannot use a council service', staffText: 'Cannot use a service' },
  { value: 'data-worry', text: 'I’m worried about my personal data', staffText: 'Worried about data' },
  { value: 'other', text: 'Something else', staffText: 'Other' },
];

export const REPLY_METHODS = [
  { value: 'email', text: 'Email' },
  { value: 'phone', text: 'Phone' },
  { value: 'post', text: 'Post' },
] as const;
export type ReplyBy = (typeof REPLY_METHODS)[number]['value'];

export const CIRCUMSTANCES = [
  { value: 'aged-75-or-over', text: 'I’m aged 75 or over' },
  { value: 'social-care', text: 'I get social care from the council, or care for someone who does' },
] as const;

export const LIMITS = { message: 5000, name: 200, email: 254, phone: 30, address: 500, supportNeeds: 1000 };

/** What the resident typed, as typed (trimmed), so a page with errors can show it back. */
export interface EnquiryAnswers {
  topic: string;
  message: string;
  name: string;
  replyBy: string;
  email: string;
  phone: string;
  address: string;
  extraHelp: string;
  supportNeeds: string;
  circumstances: string[];
}

export const EMPTY_ANSWERS: EnquiryAnswers = {
  topic: '',
  message: '',
  name: '',
  replyBy: '',
  email: '',
  phone: '',
  address: '',
  extraHelp: '',
  supportNeeds: '',
  circumstances: [],
};

/** Checked answers, in the form they are stored. */
export interface ValidEnquiry {
  topic: EnquiryTopic;
  message: string;
  name: string;
  replyBy: ReplyBy;
  email: string | null;
  phone: string | null;
  address: string | null;
  supportNeeds: string | null;
  agedOver75: boolean;
  socialCare: boolean;
}

/**
 * A UK phone number, landline or mobile, in any usual spelling, as its digits with a leading 0
 * (020 7641 1919 → 02076411919; +44 7700 900982 → 07700900982); undefined when it cannot be one.
 */
export function normaliseUkPhone(typed: string): string | undefined {
  const compact = typed.replace(/[\s().-]/g, '');
  const match = /^(?:\+44|0044|0)([1-9]\d{8,9})$/.exec(compact);
  return match ? `0${match[1] as string}` : undefined;
}

/** Answers read from a posted form, bounded so that nothing over-long is kept. */
export function answersFrom(
  read: (name: string, max: number) => string,
  list: (name: string) => string[],
): EnquiryAnswers {
  return {
    topic: read('topic', 40).trim(),
    message: read('message', LIMITS.message + 1000).trim(),
    name: read('name', LIMITS.name + 100).trim(),
    replyBy: read('replyBy', 10).trim(),
    email: read('email', LIMITS.email + 100).trim(),
    phone: read('phone', LIMITS.phone + 30).trim(),
    address: read('address', LIMITS.address + 200).trim(),
    extraHelp: read('extraHelp', 5).trim(),
    supportNeeds: read('supportNeeds', LIMITS.supportNeeds + 200).trim(),
    circumstances: list('circumstances').filter((c) => CIRCUMSTANCES.some((x) => x.value === c)),
  };
}

const tooLong = (label: string, max: number) => `${label} must be ${max.toLocaleString('en-GB')} characters or fewer`;

export function validateEnquiry(
  answers: EnquiryAnswers,
): { ok: true; enquiry: ValidEnquiry } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const topic = TOPICS.find((t) => t.value === answers.topic)?.value;
  if (!topic) errors.push({ text: 'Select what your enquiry is about', href: '#topic' });

  if (answers.message === '') errors.push({ text: 'Enter your message', href: '#message' });
  else if (answers.message.length > LIMITS.message) {
    errors.push({ text: tooLong('Your message', LIMITS.message), href: '#message' });
  }

  if (answers.name === '') errors.push({ text: 'Enter your full name', href: '#name' });
  else if (answers.name.length > LIMITS.name) errors.push({ text: tooLong('Your name', LIMITS.name), href: '#name' });

  const replyBy = REPLY_METHODS.find((m) => m.value === answers.replyBy)?.value;
  if (!replyBy) errors.push({ text: 'Select how you would like us to reply', href: '#replyBy' });

  let email: string | null = null;
  if (answers.email !== '') {
    const lower = answers.email.toLowerCase();
    if (!isEmailAddress(lower)) {
      errors.push({ text: 'Enter an email address in the correct format, like name@example.com', href: '#email' });
    } else email = lower;
  } else if (replyBy === 'email') {
    errors.push({ text: 'Enter your email address', href: '#email' });
  }

  let phone: string | null = null;
  if (answers.phone !== '') {
    const digits = normaliseUkPhone(answers.phone);
    if (!digits) {
      errors.push({ text: 'Enter a UK phone number, like 020 7946 0000 or 07700 900 982', href: '#phone' });
    } else phone = digits;
  } else if (replyBy === 'phone') {
    errors.push({ text: 'Enter your phone number', href: '#phone' });
  }

  let address: string | null = null;
  if (answers.address !== '') {
    if (answers.address.length > LIMITS.address) {
      errors.push({ text: tooLong('Your address', LIMITS.address), href: '#address' });
    } else address = answers.address;
  } else if (replyBy === 'post') {
    errors.push({ text: 'Enter your address, including the postcode', href: '#address' });
  }

  let supportNeeds: string | null = null;
  if (answers.extraHelp !== 'yes' && answers.extraHelp !== 'no') {
    errors.push({ text: 'Select yes if you need extra help from us', href: '#extraHelp' });
  } else if (answers.extraHelp === 'yes') {
    if (answers.supportNeeds === '') {
      errors.push({ text: 'Tell us what extra help you need', href: '#supportNeeds' });
    } else if (answers.supportNeeds.length > LIMITS.supportNeeds) {
      errors.push({ text: tooLong('What extra help you need', LIMITS.supportNeeds), href: '#supportNeeds' });
    } else supportNeeds = answers.supportNeeds;
  }

  if (errors.length > 0 || !topic || !replyBy) return { ok: false, errors };
  return {
    ok: true,
    enquiry: {
      topic,
      message: answers.message,
      name: answers.name,
      replyBy,
      email,
      phone,
      address,
      supportNeeds,
      agedOver75: answers.circumstances.includes('aged-75-or-over'),
      socialCare: answers.circumstances.includes('social-care'),
    },
  };
}
