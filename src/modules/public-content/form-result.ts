// What a staff form in this module comes back with: done, or the errors for the GOV.UK error summary.

export interface FieldError {
  text: string;
  href: string;
}

export type Result<T extends object = object> = ({ ok: true } & T) | { ok: false; errors: FieldError[] };
