// How a database failure is answered: "try again shortly" (503/504 with Retry-After) for the
// failures worker/platform/database-errors.ts classifies as such; anything else is a bug (500).
import { classifyDatabaseError } from "../platform/database-errors.ts";
import { ProblemError } from "./problem.ts";

/** The problem a classified database failure is answered with, or null for a real bug. */
export function databaseProblem(error: unknown): ProblemError | null {
  switch (classifyDatabaseError(error)) {
    case "timeout":
      return new ProblemError(
        504,
        "database-timeout",
        "Database timeout",
        "The database did not finish in time; nothing was changed. Retry shortly.",
        { headers: { "Retry-After": "2" } },
      );
    case "unavailable":
      return new ProblemError(
        503,
        "service-unavailable",
        "Service unavailable",
        "The database is unreachable right now; nothing was changed. Retry shortly.",
        { headers: { "Retry-After": "5" } },
      );
    default:
      return null;
  }
}
