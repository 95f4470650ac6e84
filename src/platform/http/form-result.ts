// What a form's service comes back with: done (with what it made), or the errors for the GOV.UK
// error summary, each pointing at its field.

/** One line of a GOV.UK error summary: the message, and the `#id` of the field it is about. */
export interface FieldError {
  text: string;
  href: string;
}

export type Result<T extends object = object> = ({ ok: true } & T) | { ok: false; errors: FieldError[] };

/**
 * The error for a required reason (why an update is sent back, a warning withdrawn…) in the field
 * `#reason`, or undefined when `text`, already trimmed, is there and at most `max` characters.
 */
export function reasonError(text: string, missing: string, max: number): FieldError | undefined {
  if (!text) return { text: missing, href: '#reason' };
  if (text.length > max)
    return { text: `The reason must be ${max.toLocaleString('en-GB')} characters or fewer`, href: '#reason' };
  return undefined;
}
