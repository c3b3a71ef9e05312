// Which database failures mean "try again shortly" rather than "we have a bug". A request that
// cannot reach Postgres, or whose statement ran out of time, gets a 503/504 problem with
// Retry-After — never a 500 with internals, never a hang past the timeouts below.

/** Client-side limits (the server-side ones are per role: migration 0040). */
export const DATABASE_TIMEOUTS = {
  /** WebSocket + Postgres start-up. */
  connectMs: 5_000,
  /** Longer than sb_api's statement_timeout (5 s): the server cancels first when it can. */
  queryMs: 8_000,
  /** Jobs (sb_jobs: statement_timeout 5 min). */
  jobQueryMs: 310_000,
} as const;

/** SQLSTATE classes and codes of an unavailable or overloaded server. */
const UNAVAILABLE_CODES = /^(08...|57P0[1-5]|53300|53400)$/;
/** statement_timeout, lock_timeout, idle-in-transaction timeout. */
const TIMEOUT_CODES = new Set(["57014", "55P03", "25P03"]);
/** What the neon driver (node-postgres underneath) throws when the link itself fails. */
const LINK_FAILURE =
  /connection terminated|connection lost|timeout expired|query read timeout|websocket|econnrefused|network|socket/i;

export function classifyDatabaseError(error: unknown): "timeout" | "unavailable" | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && TIMEOUT_CODES.has(code)) return "timeout";
  if (typeof code === "string" && UNAVAILABLE_CODES.test(code)) return "unavailable";
  if (/query read timeout|timeout expired/i.test(error.message)) return "timeout";
  if (LINK_FAILURE.test(error.message)) return "unavailable";
  return error.cause ? classifyDatabaseError(error.cause) : null;
}
