// RFC 9457 problem details. Every error the API returns goes through here, so the shape, the
// content type and the request id are the same everywhere.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "@hono/zod-openapi";
import { type RateLimitDecision, rateLimitHeaders } from "../platform/rate-limit-client.ts";

export const PROBLEM_BASE = "https://docs.securebase.io/problems/";
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export const fieldErrorSchema = z.object({
  field: z.string().openapi({ example: "query.limit" }),
  code: z.string().openapi({ example: "too_big" }),
  message: z.string().openapi({ example: "Too big: expected number to be <=100" }),
});

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: `${PROBLEM_BASE}not-found` }),
    title: z.string().openapi({ example: "Not found" }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().openapi({ example: "No invoice with id 0190…" }),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(fieldErrorSchema).optional(),
  })
  .openapi("Problem");

export type Problem = z.infer<typeof problemSchema>;
export type FieldError = z.infer<typeof fieldErrorSchema>;

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  slug: string,
  title: string,
  detail: string,
  extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
): Response {
  const body: Problem = {
    type: PROBLEM_BASE + slug,
    title,
    status,
    detail,
    instance: new URL(c.req.url).pathname,
    request_id: c.get("requestId"),
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, "x-request-id": c.get("requestId"), ...extra.headers },
  });
}

/** OpenAPI response entries for the problems a route can return. */
export function problemResponses<S extends number>(...statuses: S[]) {
  const descriptions: Record<number, string> = {
    400: "The request is malformed or a parameter is invalid",
    401: "Missing, malformed, expired or revoked credentials",
    403: "The credentials lack the required scope",
    404: "No such resource for this customer",
    409: "The request conflicts with the resource's current state",
    413: "The body is larger than this route accepts",
    415: "The body is not JSON",
    422: "The body failed validation",
    429: "Rate limit exceeded",
  };
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: descriptions[s] ?? "Error", content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } },
    ]),
  ) as Record<S, { description: string; content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof problemSchema } } }>;
}

/** Thrown by handlers and domain code; the app's error handler renders it as a problem. */
export class ProblemError extends Error {
  readonly status: ContentfulStatusCode;
  readonly slug: string;
  readonly title: string;
  readonly extra: { errors?: FieldError[]; headers?: Record<string, string> };

  constructor(
    status: ContentfulStatusCode,
    slug: string,
    title: string,
    detail: string,
    extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.extra = extra;
  }
}

export const notFound = (what: string, id: string) =>
  new ProblemError(404, "not-found", "Not found", `No ${what} with id ${id}.`);

/** A 422 naming one body field, for rules zod cannot express (e.g. depends on the caller). */
export const invalidField = (field: string, code: string, message: string) =>
  new ProblemError(422, "validation-error", "Validation failed", `body.${field} ${message}.`, {
    errors: [{ field: `body.${field}`, code, message }],
  });

/** A refused throttle decision as a 429 with its RateLimit-* and Retry-After headers. */
export const rateLimited = (
  decision: RateLimitDecision,
  title: string,
  detail = `Too many attempts; retry after ${decision.resetSeconds} s.`,
) => new ProblemError(429, "rate-limited", title, detail, { headers: rateLimitHeaders(decision) });
