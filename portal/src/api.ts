// The one API client of the portal (docs/portal.md): the typed client from client/ with the
// session cookie and the CSRF header, and `unwrap`, which turns an error answer into an ApiError
// carrying the problem document and its request id.
import { createBrowserClient, type Problem } from "../../client/securebase.ts";

let csrfToken: string | null = null;
/** Set from a sign-in answer or GET /v1/me; cleared on sign-out. */
export const setCsrfToken = (token: string | null) => {
  csrfToken = token;
};

export const api = createBrowserClient({ csrfToken: () => csrfToken });

export class ApiError extends Error {
  readonly problem: Problem;
  readonly status: number;
  readonly requestId: string | null;
  constructor(problem: Problem, requestId: string | null) {
    super(problem.detail);
    this.problem = problem;
    this.status = problem.status;
    this.requestId = problem.request_id ?? requestId;
  }
  /** The message of the field error for `field` (e.g. "body.email"), if the API named it. */
  fieldError(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === field)?.message;
  }
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function asProblem(body: unknown, response: Response): Problem {
  if (body && typeof body === "object" && "detail" in body && "status" in body) return body as Problem;
  return {
    type: "about:blank",
    title: response.statusText || "Error",
    status: response.status,
    detail: `The server answered ${response.status}.`,
  };
}

/** The data of a successful answer; else throws an ApiError (also for a network failure). */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch {
    throw new ApiError(
      { type: "about:blank", title: "Network error", status: 0, detail: "The API could not be reached." },
      null,
    );
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined)
    throw new ApiError(asProblem(error, response), response.headers.get("x-request-id"));
  return data as T;
}
