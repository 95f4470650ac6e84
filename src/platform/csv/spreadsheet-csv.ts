// CSV for people to open in a spreadsheet: every cell safe against formula injection (OWASP's
// advice on CSV injection), RFC 4180 quoting, a byte order mark so spreadsheets read UTF-8, and
// CRLF line ends. Shared by every CSV export (the breach register, affected people, rejections).

/**
 * A cell that a spreadsheet will not run as a formula: text starting with = + - @, a tab or a
 * carriage return gets a leading single quote.
 */
export function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function csvField(value: string): string {
  const safe = spreadsheetSafe(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One CSV line with its CRLF, for exports written a row at a time. */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** What starts a CSV file: the byte order mark. */
export const CSV_BOM = '\uFEFF';

/** A whole CSV file: the byte order mark, the header and the rows, each line ending in CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `${CSV_BOM}${[header, ...rows].map(csvLine).join('')}`;
}
