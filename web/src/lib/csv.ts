/**
 * CSV export (RFC 4180): a header and one line per row, CRLF line ends. Fields with a comma,
 * quote or line break are quoted (quotes doubled). Text a spreadsheet would run as a formula
 * (starting with =, +, @, a tab or CR, or a - that does not start a number) gets a leading
 * apostrophe, so an exported symbol or reason can never execute. Pure.
 */

/** One column: its header and how to read it from a row. */
export interface CsvColumn<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | boolean | null | undefined;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** One field, escaped. */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+@\t\r]/.test(s) || (s.startsWith('-') && !NUMBER.test(s))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The whole file. */
export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  const line = (fields: readonly string[]) => fields.join(',') + '\r\n';
  return line(columns.map((c) => csvField(c.header))) + rows.map((r) => line(columns.map((c) => csvField(c.value(r))))).join('');
}
