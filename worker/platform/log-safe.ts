// What may go into a log line about an error: its kind, the Postgres SQLSTATE and message, never
// the query's parameters or a row's values (docs/security.md). Drizzle's DrizzleQueryError puts
// the SQL text and every parameter into its message; a Postgres error's `detail` can quote a
// row ("Key (email)=(…) already exists"). Both are left out.
export function safeError(error: unknown): string {
  const root = isDrizzleQueryError(error) && error.cause !== undefined ? error.cause : error;
  if (root instanceof Error) {
    const code = (root as { code?: unknown }).code;
    const pgCode = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? ` [${code}]` : "";
    // A Drizzle error without a cause: its message is the query and parameters.
    const message = isDrizzleQueryError(root) ? "query failed" : root.message;
    return `${root.name}${pgCode}: ${message}`;
  }
  return typeof error === "string" ? error : "non-Error thrown";
}

function isDrizzleQueryError(error: unknown): error is Error & { cause?: unknown; params: unknown[] } {
  return error instanceof Error && Array.isArray((error as { params?: unknown }).params) && "query" in error;
}
