// Requests to the Worker under test, typed from the generated client/schema.d.ts
// (openapi-typescript over /openapi.json): `api()` is an openapi-fetch client whose fetch is the
// Worker's own, `Schemas` names every response and request body, and `expectProblem` checks an
// RFC 9457 problem the same way in every test.
import { exports } from "cloudflare:workers";
import createClient from "openapi-fetch";
import { expect } from "vitest";
import type { components, paths } from "../../client/schema.d.ts";

export type { paths };
/** Every schema in the served document, e.g. `Schemas["ApiKey"]`. */
export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
/** A cursor page of `T`, as every list route answers. */
export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export const BASE_URL = "https://api.securebase.test";

/** The Worker's own fetch handler, in this workerd. */
export const workerFetch = (request: Request): Promise<Response> => exports.default.fetch(request);

/** A typed client for the Worker; `token` becomes the bearer credential. */
export function api(token?: string) {
  return createClient<paths>({
    baseUrl: BASE_URL,
    fetch: workerFetch,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

export function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  return workerFetch(new Request(`${BASE_URL}${path}`, { ...init, headers }));
}

/** A JSON request: `body` (if any) is serialised with its content type. */
export function send(method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
  return call(path, {
    method,
    token,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * Asserts an RFC 9457 problem: status, content type, and optionally the problem type's slug
 * (the last path segment of `type`) and a field named in `errors[]`. Returns the problem.
 */
export async function expectProblem(
  response: Response,
  expected: { status: number; type?: string; field?: string },
): Promise<Problem> {
  const text = await response.text();
  expect(response.status, text).toBe(expected.status);
  expect(response.headers.get("content-type"), text).toBe("application/problem+json");
  const problem = JSON.parse(text) as Problem;
  expect(problem.status).toBe(expected.status);
  if (expected.type) expect(problem.type).toMatch(new RegExp(`/${expected.type}$`));
  if (expected.field) expect(problem.errors?.map((e) => e.field)).toContain(expected.field);
  return problem;
}

/** Another tenant's resource must be indistinguishable from one that does not exist. */
export async function expectSameAsMissing(theirs: Response, missing: Response): Promise<void> {
  const [a, b] = [await expectProblem(theirs, { status: 404 }), await expectProblem(missing, { status: 404 })];
  expect(a.type).toBe(b.type);
  expect(a.title).toBe(b.title);
}
