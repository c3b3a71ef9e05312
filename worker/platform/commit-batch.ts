// Rows a request transaction writes "on the side" (its audit events, its outbox events) need no
// round trips of their own: they are buffered and sent as one INSERT … SELECT from a JSON literal,
// in the same flight as COMMIT. A failure there rolls the whole transaction back.

/** A Postgres string literal (standard_conforming_strings is on: only quotes need doubling). */
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** `INSERT INTO table (columns) SELECT … FROM jsonb_to_recordset(rows)`, rows kept in order. */
export function insertFromJson(
  table: string,
  columns: Record<string, string>,
  rows: Record<string, unknown>[],
  constants: Record<string, string> = {},
): string {
  const names = Object.keys(columns);
  const json = JSON.stringify(rows.map((row, n) => ({ ...row, _n: n })));
  const definitions = [...names.map((name) => `${name} ${columns[name]}`), "_n integer"].join(", ");
  return (
    `INSERT INTO ${table} (${[...names, ...Object.keys(constants)].join(", ")}) ` +
    `SELECT ${[...names, ...Object.values(constants)].join(", ")} FROM jsonb_to_recordset(${literal(json)}::jsonb) AS e(${definitions}) ORDER BY _n`
  );
}
