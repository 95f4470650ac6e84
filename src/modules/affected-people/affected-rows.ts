// One row of a council's file of affected people: which column holds what (the column map, with
// guesses from the header), and the row checked and normalised into a person's details and the
// keys they are found by, or refused with a reason in plain English that names the line and the
// column but never repeats the value (it is personal data). Pure.
import { DATA_CATEGORIES, isDataCategory, type DataCategory } from '../breaches/breach-record.ts';
import type { CsvProblem, CsvRecord } from './csv-reader.ts';
import { normaliseEmail, normalisePhone, normalisePostcode, tidyText } from './contact-normalisers.ts';

export const IMPORT_FIELDS = {
  name: { text: 'Full name', guesses: ['name', 'full name', 'fullname', 'resident name', 'customer name'] },
  firstName: { text: 'First name', guesses: ['first name', 'firstname', 'forename', 'given name'] },
  lastName: { text: 'Last name', guesses: ['last name', 'lastname', 'surname', 'family name'] },
  email: { text: 'Email address', guesses: ['email', 'email address', 'e-mail', 'e-mail address', 'emailaddress'] },
  phone: {
    text: 'Mobile phone number',
    guesses: ['phone', 'mobile', 'mobile number', 'mobile phone', 'telephone', 'phone number', 'tel'],
  },
  address1: { text: 'Address line 1', guesses: ['address', 'address 1', 'address line 1', 'address1', 'street'] },
  address2: { text: 'Address line 2', guesses: ['address 2', 'address line 2', 'address2'] },
  town: { text: 'Town or city', guesses: ['town', 'city', 'town or city', 'address 3', 'address line 3'] },
  postcode: { text: 'Postcode', guesses: ['postcode', 'post code', 'postal code', 'zip'] },
  categories: {
    text: 'Kinds of data (for this row)',
    guesses: ['categories', 'data categories', 'data', 'kinds of data'],
  },
} as const;

export type ImportField = keyof typeof IMPORT_FIELDS;
export const IMPORT_FIELD_KEYS = Object.keys(IMPORT_FIELDS) as ImportField[];

/** Field → column index (from 0); a field not in the file is absent. */
export type ColumnMap = Partial<Record<ImportField, number>>;

const headerKey = (text: string) =>
  text
    .toLowerCase()
    .replace(/[_\s]+/g, ' ')
    .trim();

/** The column map a header suggests: each field to the first column whose name is one of its guesses. */
export function guessColumnMap(header: readonly string[]): ColumnMap {
  const map: ColumnMap = {};
  const used = new Set<number>();
  for (const field of IMPORT_FIELD_KEYS) {
    const guesses: readonly string[] = IMPORT_FIELDS[field].guesses;
    const index = header.findIndex((h, i) => !used.has(i) && guesses.includes(headerKey(h)));
    if (index >= 0) {
      map[field] = index;
      used.add(index);
    }
  }
  return map;
}

/** What is wrong with a column map for a file with `columns` columns, if anything. */
export function columnMapProblems(map: ColumnMap, columns: number): string[] {
  const problems: string[] = [];
  const seen = new Map<number, ImportField>();
  for (const [field, index] of Object.entries(map) as [ImportField, number][]) {
    if (!Number.isInteger(index) || index < 0 || index >= columns) {
      problems.push(`Choose a column for ${IMPORT_FIELDS[field].text.toLowerCase()} that is in the file`);
      continue;
    }
    const other = seen.get(index);
    if (other) {
      problems.push(
        `${IMPORT_FIELDS[field].text} and ${IMPORT_FIELDS[other].text.toLowerCase()} cannot both come from the same column`,
      );
    }
    seen.set(index, field);
  }
  const contact = (['email', 'phone', 'address1', 'postcode'] as const).some((f) => map[f] !== undefined);
  if (!contact) problems.push('Choose at least one column with contact details: email, phone or address and postcode');
  return problems;
}

/** A row's person, normalised, with the keys they are found by. */
export interface PersonRow {
  line: number;
  fullName: string;
  email: string | undefined;
  phone: string | undefined;
  addressLines: string[];
  postcode: string | undefined;
  /** File categories plus any the row names, no repeats. */
  categories: readonly DataCategory[];
  keys: string[];
}

export type RowOutcome = { ok: true; person: PersonRow } | { ok: false; line: number; reason: string };

const PROBLEM_REASONS: Record<CsvProblem, string> = {
  'unclosed-quote': 'a quoted field is not closed: the file ends before its closing quote mark',
  'text-after-quote': 'a field has text after its closing quote mark',
  'too-long': 'the row is longer than 1 MB, so it cannot be a real row',
};

const CATEGORY_BY_TEXT = new Map<string, DataCategory>(
  Object.entries(DATA_CATEGORIES).flatMap(([key, { text }]) => [
    [key, key as DataCategory],
    [text.toLowerCase(), key as DataCategory],
  ]),
);

const ADDRESS_FIELDS = ['address1', 'address2', 'town'] as const;

export interface RowContext {
  map: ColumnMap;
  /** Column names, for the reasons: the header's names, or "column 3" when there is no header. */
  columnNames: readonly string[];
  columns: number;
  /** No repeats. */
  fileCategories: readonly DataCategory[];
}

/** The reasons name columns the way the file does. */
export function columnNames(header: readonly string[] | undefined, columns: number): string[] {
  return Array.from({ length: columns }, (_, i) => {
    const name = header?.[i]?.trim();
    return name ? `'${name.slice(0, 60)}'` : `${i + 1}`;
  });
}

// Helpers of checkRow are functions of their own, not closures made for every row: a million rows
// made three million closures, each named by the TypeScript loader, which cost more than the checks.
function refuse(line: number, reason: string): RowOutcome {
  return { ok: false, line, reason: `Line ${line}: ${reason}` };
}

function fieldValue(record: CsvRecord, map: ColumnMap, field: ImportField): string {
  const index = map[field];
  return index === undefined ? '' : (record.fields[index] ?? '');
}

function columnOf(context: RowContext, field: ImportField): string {
  return `column ${context.columnNames[context.map[field] as number]}`;
}

export function checkRow(record: CsvRecord, context: RowContext): RowOutcome {
  const { line } = record;
  if (record.problem) return refuse(line, PROBLEM_REASONS[record.problem]);
  if (record.fields.length !== context.columns) {
    return refuse(
      line,
      `the row has ${record.fields.length} ${record.fields.length === 1 ? 'field' : 'fields'} but the file has ${context.columns} columns`,
    );
  }
  const { map } = context;

  let email: string | undefined;
  const emailText = fieldValue(record, map, 'email').trim();
  if (emailText) {
    email = normaliseEmail(emailText);
    if (!email) return refuse(line, `the email address in ${columnOf(context, 'email')} is not a valid email address`);
  }
  let phone: string | undefined;
  let landline = false;
  const phoneText = fieldValue(record, map, 'phone').trim();
  if (phoneText) {
    const result = normalisePhone(phoneText);
    if (result.kind === 'invalid') {
      return refuse(line, `the phone number in ${columnOf(context, 'phone')} is not a valid phone number`);
    }
    if (result.kind === 'mobile') phone = result.e164;
    else landline = true;
  }
  let postcode: string | undefined;
  const postcodeText = fieldValue(record, map, 'postcode').trim();
  if (postcodeText) {
    postcode = normalisePostcode(postcodeText);
    if (!postcode) return refuse(line, `the postcode in ${columnOf(context, 'postcode')} is not a valid UK postcode`);
  }
  let addressLine1: string | undefined;
  const addressLines: string[] = [];
  for (const field of ADDRESS_FIELDS) {
    const text = tidyText(fieldValue(record, map, field));
    if (!text) continue;
    addressLine1 ??= text;
    addressLines.push(text.slice(0, 200));
  }
  const fullName = tidyText(
    map.name !== undefined
      ? fieldValue(record, map, 'name')
      : `${fieldValue(record, map, 'firstName')} ${fieldValue(record, map, 'lastName')}`,
  ).slice(0, 300);
  const hasAddress = postcode !== undefined && addressLines.length > 0;
  if (!email && !phone && !hasAddress) {
    if (landline) {
      return refuse(
        line,
        `the phone number in ${columnOf(context, 'phone')} is not a mobile number, so it cannot get texts, and the row has no email address or full postal address`,
      );
    }
    return refuse(
      line,
      'the row has no way to contact the person: no email address, mobile number or full postal address',
    );
  }
  if (hasAddress && !fullName && !email && !phone) {
    return refuse(line, 'the row has a postal address but no name, so a letter could not be addressed to the person');
  }

  // Most rows have the file's categories only: they share its list.
  let categories: readonly DataCategory[] = context.fileCategories;
  const categoriesText = fieldValue(record, map, 'categories').trim();
  if (categoriesText) {
    const named = new Set<DataCategory>(context.fileCategories);
    for (const part of categoriesText.split(/[;|]/)) {
      const name = part.trim().toLowerCase();
      if (!name) continue;
      const found = isDataCategory(name) ? name : CATEGORY_BY_TEXT.get(name);
      if (!found)
        return refuse(line, `${columnOf(context, 'categories')} names a kind of data that Wardroom does not know`);
      named.add(found);
    }
    categories = [...named];
  }

  const keys: string[] = [];
  if (email) keys.push(`email:${email.toLowerCase()}`);
  if (phone) keys.push(`phone:${phone}`);
  if (hasAddress && fullName) keys.push(`address:${fullName.toLowerCase()}|${postcode}|${addressLine1!.toLowerCase()}`);
  return {
    ok: true,
    person: {
      line,
      fullName,
      email,
      phone,
      addressLines: hasAddress ? addressLines : [],
      postcode,
      categories,
      keys,
    },
  };
}
