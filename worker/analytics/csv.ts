// CSV for reports: RFC 4180 (CRLF line ends, a header row, fields with a comma, quote, CR or LF
// quoted, quotes doubled) and safe to open in a spreadsheet: a text cell that a spreadsheet
// would read as a formula (it starts with =, +, -, @, a tab or a carriage return — OWASP's list)
// gets a leading apostrophe, so a key named `=HYPERLINK(...)` is shown, never evaluated. Numbers
// are written as numbers (a negative discount stays -500, not '-500).
export type CsvCell = string | number | boolean | null;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: CsvCell): string {
  if (value === null) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) || safe !== value ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, CsvCell>[]): string {
  const lines = [columns.map(csvCell).join(",")];
  for (const row of rows) lines.push(columns.map((column) => csvCell(row[column] ?? null)).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
