// What a personal data breach record holds, in words a DPO and the ICO use: the kinds of data (the
// ICO's list), the estimates of people and records, the risk assessment and what it leads to, and
// the checks on what a DPO types into the record's forms. No I/O.
import type { FieldError, Result } from '../../platform/http/form-result.ts';
import { isRealDate, fromLondon, londonParts } from '../../platform/london-time.ts';

/** The kinds of personal data, as the ICO's breach report form lists them. */
export const DATA_CATEGORIES = {
  'basic-identity': { text: 'Basic identity, such as name and date of birth' },
  contact: { text: 'Contact details, such as address, email address and phone number' },
  'identification-documents': { text: 'Identification documents, such as passports and driving licences' },
  financial: { text: 'Financial or payment details, such as bank or card details' },
  location: { text: 'Location data' },
  health: { text: 'Health, including social care records', special: true },
  'racial-ethnic': { text: 'Racial or ethnic origin', special: true },
  religious: { text: 'Religious or philosophical beliefs', special: true },
  'sexual-orientation': { text: 'Sex life or sexual orientation', special: true },
  political: { text: 'Political opinions', special: true },
  'trade-union': { text: 'Trade union membership', special: true },
  'genetic-biometric': { text: 'Genetic or biometric data', special: true },
  criminal: { text: 'Criminal convictions and offences', criminal: true },
  children: { text: "Children's data" },
  'vulnerable-adults': { text: "Vulnerable adults' data" },
  'official-documents': { text: 'Official documents, such as benefit decisions, tenancy papers and court papers' },
  credentials: { text: 'Usernames and passwords' },
  other: { text: 'Other' },
} as const satisfies Record<string, { text: string; special?: boolean; criminal?: boolean }>;

export type DataCategory = keyof typeof DATA_CATEGORIES;

export function isDataCategory(value: string): value is DataCategory {
  return Object.hasOwn(DATA_CATEGORIES, value);
}

const categoryFlag = (c: DataCategory, flag: 'special' | 'criminal') =>
  (DATA_CATEGORIES[c] as { special?: boolean; criminal?: boolean })[flag] === true;

/** Special category data (UK GDPR Article 9) among the categories. */
export function specialCategories(categories: readonly DataCategory[]): DataCategory[] {
  return categories.filter((c) => categoryFlag(c, 'special'));
}

/** Criminal offence data (Article 10) among the categories. */
export function hasCriminalOffenceData(categories: readonly DataCategory[]): boolean {
  return categories.some((c) => categoryFlag(c, 'criminal'));
}

/** The categories in words, "Other" replaced by what the DPO wrote. */
export function categoryNames(categories: readonly DataCategory[], other: string): string[] {
  return categories.map((c) => (c === 'other' && other.trim() ? `Other: ${other.trim()}` : DATA_CATEGORIES[c].text));
}

/** Organisations a council tells about a breach besides the ICO. */
export const BODIES = {
  'met-police': 'Metropolitan Police',
  nca: 'National Crime Agency',
  ncsc: 'National Cyber Security Centre (NCSC)',
  'action-fraud': 'Action Fraud',
  other: 'Another organisation',
} as const;

export type Body = keyof typeof BODIES;

export function isBody(value: string): value is Body {
  return Object.hasOwn(BODIES, value);
}

export const ESTIMATE_BASES = {
  exact: 'Exactly',
  approximate: 'Approximately',
  range: 'Between two numbers',
  unknown: 'Not known yet',
} as const;

export type EstimateBasis = keyof typeof ESTIMATE_BASES;

export interface Estimate {
  basis: EstimateBasis;
  /** The number, or the lower end of a range. */
  low: number | null;
  /** The upper end of a range. */
  high: number | null;
}

const count = (n: number | null) => (n ?? 0).toLocaleString('en-GB');

/** "About 100,000", "Between 50,000 and 150,000", "Not known yet". */
export function describeEstimate(e: Estimate): string {
  switch (e.basis) {
    case 'exact':
      return count(e.low);
    case 'approximate':
      return `About ${count(e.low)}`;
    case 'range':
      return `Between ${count(e.low)} and ${count(e.high)}`;
    default:
      return 'Not known yet';
  }
}

export const YES_NO_UNKNOWN = { yes: 'Yes', no: 'No', unknown: 'Not known yet' } as const;
export type YesNoUnknown = keyof typeof YES_NO_UNKNOWN;

export const TELL_PEOPLE = {
  told: 'Yes, they have been told',
  planned: 'Yes, they will be told',
  no: 'No, they will not be told',
  undecided: 'Not decided yet',
} as const;

export type TellPeople = keyof typeof TELL_PEOPLE;

/** The risk assessment's scales, with the ICO's guidance in plain words as each choice's hint. */
export const LIKELIHOODS = {
  remote: {
    text: 'Remote',
    score: 1,
    hint: 'Harm is very unlikely. For example, the data was strongly encrypted, or was got back before anyone could use it.',
  },
  possible: {
    text: 'Possible',
    score: 2,
    hint: 'Harm could happen. For example, someone who should not have the data saw or copied it, but there is no sign they have used it.',
  },
  likely: {
    text: 'Likely',
    score: 3,
    hint: 'Harm is more likely than not. For example, criminals took the data, it has been published, or it is being used to target people.',
  },
} as const;

export const SEVERITIES = {
  minimal: {
    text: 'Minimal',
    score: 1,
    hint: 'People may have some inconvenience they will get over without problems, such as giving details again or changing a password.',
  },
  significant: {
    text: 'Significant',
    score: 2,
    hint: 'People may have significant problems they should get over with some difficulty, such as extra costs, worry, or scam calls and messages.',
  },
  severe: {
    text: 'Severe',
    score: 3,
    hint: 'People may have serious or lasting harm, such as losing money, identity theft, discrimination, threats to their safety or harm to their health. Special category, criminal offence and children’s data often mean this.',
  },
} as const;

export type Likelihood = keyof typeof LIKELIHOODS;
export type Severity = keyof typeof SEVERITIES;

export type OverallRisk = 'none' | 'risk' | 'high';

export const OVERALL_RISK = {
  none: {
    text: 'Unlikely to result in a risk',
    action: 'You do not have to report it to the ICO. Record why in the breach register.',
    tagClass: 'govuk-tag--grey',
  },
  risk: {
    text: 'Risk',
    action: 'Report it to the ICO within 72 hours of becoming aware of it.',
    tagClass: 'govuk-tag--yellow',
  },
  high: {
    text: 'High risk',
    action:
      'Report it to the ICO within 72 hours of becoming aware of it, and tell the people affected without undue delay.',
    tagClass: 'govuk-tag--red',
  },
} as const satisfies Record<OverallRisk, { text: string; action: string; tagClass: string }>;

export interface RiskAssessment {
  overall: OverallRisk;
  score: number;
  /** Why the answer is what it is, one sentence a line. */
  reasons: string[];
}

/**
 * Likelihood times severity, each scored 1 to 3: 1 or 2 is unlikely to result in a risk, 3 or 4 is
 * a risk (report to the ICO), 6 or 9 a high risk (also tell the people affected). The data and what
 * happened to it add reasons for the DPO to weigh; they do not move the answer.
 */
export function assessRisk(
  likelihood: Likelihood,
  severity: Severity,
  facts: { categories: readonly DataCategory[]; dataExfiltrated: YesNoUnknown },
): RiskAssessment {
  const l = LIKELIHOODS[likelihood];
  const s = SEVERITIES[severity];
  const score = l.score * s.score;
  const overall: OverallRisk = score >= 6 ? 'high' : score >= 3 ? 'risk' : 'none';
  const reasons = [
    `Likelihood of harm: ${l.text} (${l.score} of 3). Severity of harm: ${s.text} (${s.score} of 3).`,
    `${l.score} × ${s.score} = ${score}. A score of 1 or 2 is unlikely to result in a risk, 3 or 4 is a risk, and 6 or more is a high risk.`,
    `${OVERALL_RISK[overall].text}: ${OVERALL_RISK[overall].action}`,
  ];
  const special = specialCategories(facts.categories);
  if (special.length) {
    reasons.push(
      `The data includes special category data (${special.map((c) => DATA_CATEGORIES[c].text).join('; ')}), which usually makes harm more severe.`,
    );
  }
  if (hasCriminalOffenceData(facts.categories)) {
    reasons.push('The data includes criminal offence data, which usually makes harm more severe.');
  }
  if (facts.categories.includes('children') || facts.categories.includes('vulnerable-adults')) {
    reasons.push('The data is about children or vulnerable adults, who may be less able to protect themselves.');
  }
  if (facts.dataExfiltrated === 'yes')
    reasons.push('The data was taken by the attackers, which makes harm more likely.');
  return { overall, score, reasons };
}

export interface DpoContact {
  name: string;
  email: string;
  phone: string;
}

/** The fields of a breach record that its main form sets. */
export interface RecordFields {
  description: string;
  awareAt: string;
  discovery: string;
  dataCategories: DataCategory[];
  dataCategoriesOther: string;
  systemsAffected: string[];
  people: Estimate;
  records: Estimate;
  dataExfiltrated: YesNoUnknown;
  dataEncrypted: YesNoUnknown;
  consequences: string;
  measuresTaken: string;
  measuresProposed: string;
  bodiesInformed: Body[];
  bodiesInformedOther: string;
  tellPeople: TellPeople;
  /** YYYY-MM-DD. */
  tellPeopleOn: string | null;
  tellPeopleReason: string;
  dpo: DpoContact;
}

export interface BreachRecord extends RecordFields {
  id: string;
  incidentId: string;
  organisationId: string;
  version: number;
  risk: {
    likelihood: Likelihood | null;
    severity: Severity | null;
    reasoning: string;
    assessedAt: string | null;
    assessedByLabel: string | null;
  };
  notReportingReason: string;
  createdAt: string;
  updatedAt: string;
  updatedByLabel: string;
}

/** The risk assessment of a record, or undefined until the DPO has made one. */
export function riskOf(record: BreachRecord): RiskAssessment | undefined {
  const { likelihood, severity } = record.risk;
  if (!likelihood || !severity) return undefined;
  return assessRisk(likelihood, severity, {
    categories: record.dataCategories,
    dataExfiltrated: record.dataExfiltrated,
  });
}

/** The DPO assessed it as unlikely to result in a risk and said why, so it need not be reported. */
export function decidedNotToReport(record: BreachRecord): boolean {
  return riskOf(record)?.overall === 'none' && record.notReportingReason.trim() !== '';
}

export const LIMITS = { text: 10_000, short: 200, other: 500, systems: 50, reference: 60, count: 100_000_000 };

/** The main form as typed: every field a string (or a list of them, for checkboxes). */
export interface RecordInput {
  description: string;
  awareDay: string;
  awareMonth: string;
  awareYear: string;
  awareTime: string;
  discovery: string;
  dataCategories: string[];
  dataCategoriesOther: string;
  /** One system a line. */
  systemsAffected: string;
  peopleBasis: string;
  /** The number, or the lowest of a range. */
  peopleLow: string;
  /** The highest of a range. */
  peopleHigh: string;
  recordsBasis: string;
  recordsLow: string;
  recordsHigh: string;
  dataExfiltrated: string;
  dataEncrypted: string;
  consequences: string;
  measuresTaken: string;
  measuresProposed: string;
  bodiesInformed: string[];
  bodiesInformedOther: string;
  tellPeople: string;
  tellOnDay: string;
  tellOnMonth: string;
  tellOnYear: string;
  tellPeopleReason: string;
  dpoName: string;
  dpoEmail: string;
  dpoPhone: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

function estimateInput(e: Estimate): { basis: string; low: string; high: string } {
  const n = (v: number | null) => (v === null ? '' : String(v));
  return { basis: e.basis, low: n(e.low), high: e.basis === 'range' ? n(e.high) : '' };
}

/** The form filled in from a record (or from the starting values of a new one). */
export function recordInputFrom(fields: RecordFields): RecordInput {
  const aware = londonParts(fields.awareAt);
  const people = estimateInput(fields.people);
  const records = estimateInput(fields.records);
  const [tellYear, tellMonth, tellDay] = fields.tellPeopleOn ? fields.tellPeopleOn.split('-').map(Number) : [];
  return {
    description: fields.description,
    awareDay: String(aware.day),
    awareMonth: String(aware.month),
    awareYear: String(aware.year),
    awareTime: `${pad(aware.hour)}:${pad(aware.minute)}`,
    discovery: fields.discovery,
    dataCategories: [...fields.dataCategories],
    dataCategoriesOther: fields.dataCategoriesOther,
    systemsAffected: fields.systemsAffected.join('\n'),
    peopleBasis: people.basis,
    peopleLow: people.low,
    peopleHigh: people.high,
    recordsBasis: records.basis,
    recordsLow: records.low,
    recordsHigh: records.high,
    dataExfiltrated: fields.dataExfiltrated,
    dataEncrypted: fields.dataEncrypted,
    consequences: fields.consequences,
    measuresTaken: fields.measuresTaken,
    measuresProposed: fields.measuresProposed,
    bodiesInformed: [...fields.bodiesInformed],
    bodiesInformedOther: fields.bodiesInformedOther,
    tellPeople: fields.tellPeople,
    tellOnDay: tellDay ? String(tellDay) : '',
    tellOnMonth: tellMonth ? String(tellMonth) : '',
    tellOnYear: tellYear ? String(tellYear) : '',
    tellPeopleReason: fields.tellPeopleReason,
    dpoName: fields.dpo.name,
    dpoEmail: fields.dpo.email,
    dpoPhone: fields.dpo.phone,
  };
}

type DateCheck = { ok: true; year: number; month: number; day: number } | { ok: false; problem: 'missing' | 'invalid' };

/** A date typed into the three GOV.UK date boxes. */
export function checkDate(day: string, month: string, year: string): DateCheck {
  const [d, m, y] = [day, month, year].map((v) => v.trim()) as [string, string, string];
  if (!d && !m && !y) return { ok: false, problem: 'missing' };
  if (![d, m, y].every((v) => /^\d{1,4}$/.test(v)) || y.length !== 4) return { ok: false, problem: 'invalid' };
  const [dn, mn, yn] = [Number(d), Number(m), Number(y)];
  if (yn < 2000 || !isRealDate(yn, mn, dn)) return { ok: false, problem: 'invalid' };
  return { ok: true, year: yn, month: mn, day: dn };
}

/** A date and a time of day in UK time, as UTC ISO-8601; or the error to show. */
export function checkDateTime(
  parts: { day: string; month: string; year: string; time: string },
  names: { field: string; timeField: string; what: string },
  now: string,
  errors: FieldError[],
): string | undefined {
  const date = checkDate(parts.day, parts.month, parts.year);
  const time = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/.exec(parts.time.trim());
  if (!date.ok) {
    errors.push({
      text:
        date.problem === 'missing' ? `Enter the date ${names.what}` : 'The date must be a real date, like 24 11 2025',
      href: `#${names.field}-day`,
    });
  }
  if (!time) errors.push({ text: `Enter the time ${names.what}, like 14:30`, href: `#${names.timeField}` });
  if (!date.ok || !time) return undefined;
  const at = fromLondon(date.year, date.month, date.day, Number(time[1]), Number(time[2]));
  // A minute's grace: a time typed as "now" is the current minute, rounded down.
  if (Date.parse(at) > Date.parse(now) + 60_000) {
    errors.push({ text: `The date and time ${names.what} must be in the past`, href: `#${names.field}-day` });
    return undefined;
  }
  return at;
}

function parseCount(value: string): number | undefined {
  const cleaned = value.trim().replace(/[,\s]/g, '');
  if (!/^\d{1,9}$/.test(cleaned)) return undefined;
  const n = Number(cleaned);
  return n >= 1 && n <= LIMITS.count ? n : undefined;
}

function checkEstimate(
  input: RecordInput,
  prefix: 'people' | 'records',
  words: string,
  errors: FieldError[],
): Estimate | undefined {
  const typed = input[`${prefix}Basis`];
  if (!Object.hasOwn(ESTIMATE_BASES, typed)) {
    errors.push({
      text: `Select how many ${words} are affected, or that it is not known yet`,
      href: `#${prefix}Basis`,
    });
    return undefined;
  }
  const basis = typed as EstimateBasis;
  const bad = `Enter the number of ${words} as a whole number between 1 and 100,000,000, like 1,500`;
  if (basis === 'unknown') return { basis, low: null, high: null };
  const low = parseCount(input[`${prefix}Low`]);
  if (low === undefined) {
    errors.push({
      text: basis === 'range' ? `Enter the lowest number of ${words}, like 1,500` : bad,
      href: `#${prefix}Low`,
    });
  }
  if (basis !== 'range') return low === undefined ? undefined : { basis, low, high: null };
  const high = parseCount(input[`${prefix}High`]);
  if (high === undefined) {
    errors.push({ text: `Enter the highest number of ${words}, like 2,000`, href: `#${prefix}High` });
    return undefined;
  }
  if (low === undefined) return undefined;
  if (high <= low) {
    errors.push({ text: `The highest number of ${words} must be more than the lowest`, href: `#${prefix}High` });
    return undefined;
  }
  return { basis: 'range', low, high };
}

function checkText(
  errors: FieldError[],
  value: string,
  field: string,
  name: string,
  options: { required?: string; max?: number } = {},
): string {
  const text = value.replace(/\r\n?/g, '\n').trim();
  const max = options.max ?? LIMITS.text;
  if (!text && options.required) errors.push({ text: options.required, href: `#${field}` });
  else if (text.length > max) {
    errors.push({ text: `${name} must be ${max.toLocaleString('en-GB')} characters or fewer`, href: `#${field}` });
  }
  return text;
}

const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
const PHONE = /^\+?[0-9][0-9 ()-]{5,24}$/;

/** Checks the main form; gives the field errors, or the fields to store. */
export function validateRecord(input: RecordInput, now: string): Result<{ fields: RecordFields }> {
  const errors: FieldError[] = [];
  const description = checkText(errors, input.description, 'description', 'What happened', {
    required: 'Enter what happened',
  });
  const awareAt = checkDateTime(
    { day: input.awareDay, month: input.awareMonth, year: input.awareYear, time: input.awareTime },
    { field: 'awareAt', timeField: 'awareTime', what: 'the council became aware of the breach' },
    now,
    errors,
  );
  const discovery = checkText(errors, input.discovery, 'discovery', 'How it was discovered');

  const unknownCategories = input.dataCategories.filter((c) => !isDataCategory(c));
  const dataCategories = [...new Set(input.dataCategories.filter(isDataCategory))];
  if (unknownCategories.length) errors.push({ text: 'Select kinds of data from the list', href: '#dataCategories' });
  else if (dataCategories.length === 0) {
    errors.push({ text: 'Select the kinds of personal data involved', href: '#dataCategories' });
  }
  const dataCategoriesOther = dataCategories.includes('other')
    ? checkText(errors, input.dataCategoriesOther, 'dataCategoriesOther', 'The other kind of data', {
        required: 'Enter the other kind of data',
        max: LIMITS.other,
      })
    : '';

  const systemsAffected = [
    ...new Set(
      input.systemsAffected
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (systemsAffected.length > LIMITS.systems) {
    errors.push({ text: `List ${LIMITS.systems} systems or fewer`, href: '#systemsAffected' });
  } else if (systemsAffected.some((s) => s.length > LIMITS.short)) {
    errors.push({ text: `Each system must be ${LIMITS.short} characters or fewer`, href: '#systemsAffected' });
  }

  const people = checkEstimate(input, 'people', 'people', errors);
  const records = checkEstimate(input, 'records', 'records', errors);

  const yesNo = (value: string, field: string, text: string): YesNoUnknown | undefined => {
    if (Object.hasOwn(YES_NO_UNKNOWN, value)) return value as YesNoUnknown;
    errors.push({ text, href: `#${field}` });
    return undefined;
  };
  const dataExfiltrated = yesNo(
    input.dataExfiltrated,
    'dataExfiltrated',
    'Select whether personal data was taken, or that it is not known yet',
  );
  const dataEncrypted = yesNo(
    input.dataEncrypted,
    'dataEncrypted',
    'Select whether the attackers encrypted data, or that it is not known yet',
  );

  const consequences = checkText(errors, input.consequences, 'consequences', 'Likely consequences');
  const measuresTaken = checkText(errors, input.measuresTaken, 'measuresTaken', 'Measures taken');
  const measuresProposed = checkText(errors, input.measuresProposed, 'measuresProposed', 'Measures proposed');

  const bodiesInformed = [...new Set(input.bodiesInformed.filter(isBody))];
  if (bodiesInformed.length !== new Set(input.bodiesInformed).size) {
    errors.push({ text: 'Select organisations from the list', href: '#bodiesInformed' });
  }
  const bodiesInformedOther = bodiesInformed.includes('other')
    ? checkText(errors, input.bodiesInformedOther, 'bodiesInformedOther', 'The other organisation', {
        required: 'Enter which other organisation was told',
        max: LIMITS.other,
      })
    : '';

  let tellPeople: TellPeople | undefined;
  let tellPeopleOn: string | null = null;
  if (Object.hasOwn(TELL_PEOPLE, input.tellPeople)) tellPeople = input.tellPeople as TellPeople;
  else errors.push({ text: 'Select whether the people affected will be told', href: '#tellPeople' });
  if (tellPeople === 'told' || tellPeople === 'planned') {
    const date = checkDate(input.tellOnDay, input.tellOnMonth, input.tellOnYear);
    if (date.ok) tellPeopleOn = `${date.year}-${pad(date.month)}-${pad(date.day)}`;
    else if (date.problem === 'invalid') {
      errors.push({ text: 'The date people are told must be a real date, like 8 1 2026', href: '#tellOn-day' });
    } else if (tellPeople === 'told') {
      errors.push({ text: 'Enter the date people were told', href: '#tellOn-day' });
    }
  }
  const tellPeopleReason = checkText(errors, input.tellPeopleReason, 'tellPeopleReason', 'The reason', {
    ...(tellPeople === 'no'
      ? { required: 'Enter why the people affected will not be told' }
      : tellPeople === 'told' || tellPeople === 'planned'
        ? { required: 'Enter why the people affected are being told' }
        : {}),
  });

  const dpoName = checkText(errors, input.dpoName, 'dpoName', 'The name', {
    required: 'Enter the name of the data protection officer',
    max: LIMITS.short,
  });
  const dpoEmail = input.dpoEmail.trim();
  if (!dpoEmail) errors.push({ text: "Enter the data protection officer's email address", href: '#dpoEmail' });
  else if (dpoEmail.length > LIMITS.short || !EMAIL.test(dpoEmail)) {
    errors.push({
      text: 'Enter an email address in the correct format, like dpo@council.gov.uk',
      href: '#dpoEmail',
    });
  }
  const dpoPhone = input.dpoPhone.trim();
  if (dpoPhone && !PHONE.test(dpoPhone)) {
    errors.push({ text: 'Enter a phone number, like 020 7641 6000', href: '#dpoPhone' });
  }

  if (
    errors.length ||
    !awareAt ||
    !people ||
    !records ||
    !dataExfiltrated ||
    !dataEncrypted ||
    !tellPeople ||
    !dataCategories.length
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    fields: {
      description,
      awareAt,
      discovery,
      dataCategories,
      dataCategoriesOther,
      systemsAffected,
      people,
      records,
      dataExfiltrated,
      dataEncrypted,
      consequences,
      measuresTaken,
      measuresProposed,
      bodiesInformed,
      bodiesInformedOther,
      tellPeople,
      tellPeopleOn: tellPeople === 'told' || tellPeople === 'planned' ? tellPeopleOn : null,
      tellPeopleReason,
      dpo: { name: dpoName, email: dpoEmail, phone: dpoPhone },
    },
  };
}

/** The risk form as typed. */
export interface RiskInput {
  likelihood: string;
  severity: string;
  reasoning: string;
  notReportingReason: string;
}

export interface RiskFields {
  likelihood: Likelihood;
  severity: Severity;
  reasoning: string;
  notReportingReason: string;
}

export function validateRisk(
  input: RiskInput,
  facts: { categories: readonly DataCategory[]; dataExfiltrated: YesNoUnknown },
): Result<{ fields: RiskFields; assessment: RiskAssessment }> {
  const errors: FieldError[] = [];
  const likelihood = Object.hasOwn(LIKELIHOODS, input.likelihood) ? (input.likelihood as Likelihood) : undefined;
  const severity = Object.hasOwn(SEVERITIES, input.severity) ? (input.severity as Severity) : undefined;
  if (!likelihood) errors.push({ text: 'Select how likely it is that people will come to harm', href: '#likelihood' });
  if (!severity) errors.push({ text: 'Select how severe the harm could be', href: '#severity' });
  const reasoning = checkText(errors, input.reasoning, 'reasoning', 'Your reasoning', {
    required: 'Enter why you chose this likelihood and severity',
  });
  const assessment = likelihood && severity ? assessRisk(likelihood, severity, facts) : undefined;
  const notReportingReason =
    assessment?.overall === 'none'
      ? checkText(errors, input.notReportingReason, 'notReportingReason', 'The reason', {
          required: 'Enter why the breach will not be reported to the ICO: the breach register needs it',
        })
      : '';
  if (errors.length || !likelihood || !severity || !assessment) return { ok: false, errors };
  return { ok: true, fields: { likelihood, severity, reasoning, notReportingReason }, assessment };
}
