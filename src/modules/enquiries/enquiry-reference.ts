// Case references residents read aloud on the phone: the council's letters, then two groups of
// four characters from an alphabet with no look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V), such
// as WCC-7K4F-9QXD. 23 characters to the power 8 is about 78 billion, so guessing one is hopeless,
// and the form of a reference is fixed so it can be found in an email subject.

export const REFERENCE_ALPHABET = 'ACDEFGHJKMNPQRTWXY34679';
const GROUP = `[${REFERENCE_ALPHABET}]{4}`;
const PREFIX = '[A-Z]{2,5}';

/** A reference anywhere in a text, such as an email subject "Re: Your enquiry WCC-7K4F-9QXD". */
const IN_TEXT = new RegExp(`\\b(${PREFIX})-(${GROUP})-(${GROUP})\\b`, 'gi');
const WHOLE = new RegExp(`^${PREFIX}-${GROUP}-${GROUP}$`);

export function newReference(prefix: string, random: (n: number) => number): string {
  let code = '';
  for (let i = 0; i < 8; i += 1) code += REFERENCE_ALPHABET[random(REFERENCE_ALPHABET.length)];
  return `${prefix}-${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * The reference as typed by a person (any case, with spaces or without hyphens) in its one
 * spelling, or undefined when it cannot be one.
 */
export function normaliseReference(typed: string): string | undefined {
  const compact = typed.toUpperCase().replace(/[\s-]/g, '');
  const match = /^([A-Z]{2,5})([A-Z0-9]{8})$/.exec(compact);
  if (!match) return undefined;
  const [, prefix, code] = match as unknown as [string, string, string];
  const candidate = `${prefix}-${code.slice(0, 4)}-${code.slice(4)}`;
  return WHOLE.test(candidate) ? candidate : undefined;
}

/** Every well-formed reference in a text, upper-cased, in order, without repeats. */
export function referencesIn(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(IN_TEXT)) found.add(match[0].toUpperCase());
  return [...found].filter((ref) => WHOLE.test(ref));
}

/** Letters for a council's references from its name: Westminster City Council → WCC. */
export function prefixFromName(name: string): string {
  const initials = name
    .replace(/&/g, ' ')
    .split(/\s+/)
    .filter((word) => /^[A-Za-z]/.test(word) && !['and', 'of', 'the'].includes(word.toLowerCase()))
    .map((word) => word[0]!.toUpperCase())
    .join('');
  return (initials.length >= 2 ? initials : name.replace(/[^A-Za-z]/g, '').toUpperCase()).slice(0, 5).padEnd(2, 'X');
}
