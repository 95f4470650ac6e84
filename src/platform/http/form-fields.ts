// Reading fields from a posted form (application/x-www-form-urlencoded, parsed by @fastify/formbody).

/**
 * A text field as typed, or '' when absent. Cut at `max`, which callers set past their own limit,
 * so that over-long input is reported to the person rather than cut short without a word.
 */
export function formText(body: unknown, name: string, max = 10_000): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** A checkbox group arrives as nothing, one string or several; at most 50 values are kept. */
export function formList(body: unknown, name: string): string[] {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return (Array.isArray(value) ? value : [value]).filter((x): x is string => typeof x === 'string').slice(0, 50);
}
