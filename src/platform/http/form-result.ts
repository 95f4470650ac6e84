// What a form's service comes back with: done (with what it made), or the errors for the GOV.UK
// error summary, each pointing at its field.

/** One line of a GOV.UK error summary: the message, and the `#id` of the field it is about. */
export interface FieldError {
  text: string;
  href: string;
}

export type Result<T extends object = object> = ({ ok: true } & T) | { ok: false; errors: FieldError[] };
