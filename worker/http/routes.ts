// How routes are declared. Every route is either `secured(permission, …)` — authentication,
// the permission check, the rate limit and (for POST) idempotency run before its handler, and
// the permission is written into the OpenAPI document as `x-required-permission` — or
// explicitly `open(…)`. A test reads the document and fails for a route that is neither.
import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import {
  authenticate,
  rateLimit,
  requirePermission,
  requireSuperAdmin,
  requireSuperAdminOrPlatformScope,
} from "../auth/middleware.ts";
import type { Permission } from "../auth/permissions.ts";
import { idempotency } from "./idempotency.ts";
import { inputGuard, type BodyKind } from "./input.ts";
import { problemResponses } from "./problem.ts";
import type { ApiTag } from "./openapi-tags.ts";

/** `authenticated`: any valid caller (what it may see is decided by its own identity). */
export type RequiredPermission = Permission | "authenticated" | "super_admin";

/**
 * What every operation must document: SDK generators name client methods after `operationId`
 * (camelCase verb + noun: `listInvoices`, `createApiKey`), and group them by declared tag.
 * The OpenAPI test checks ids are unique and every operation has a 4xx response.
 */
interface Documented {
  operationId: string;
  summary: string;
  description: string;
  tags: [ApiTag, ...ApiTag[]];
}

type RouteWithoutAuth = Omit<RouteConfig, "middleware" | "security" | keyof Documented> & Documented;

export function secured<const R extends RouteWithoutAuth>(
  permission: RequiredPermission,
  route: R,
  /**
   * enrollment: also open to an MFA enrolment token (worker/auth/enrollment.ts).
   * platformScope: with "super_admin", also open to a platform key holding this scope (docs/auth.md).
   */
  options: { apiKeyOnly?: boolean; enrollment?: boolean; platformScope?: string; body?: BodyKind } = {},
) {
  const check =
    permission === "authenticated"
      ? []
      : permission === "super_admin"
        ? [options.platformScope ? requireSuperAdminOrPlatformScope(options.platformScope) : requireSuperAdmin]
        : [requirePermission(permission)];
  // The input guard comes first: a malformed or oversized request costs no auth or database work.
  const middleware = [
    inputGuard(options.body),
    authenticate(options),
    ...check,
    rateLimit,
    ...(route.method === "post" ? [idempotency] : []),
  ];
  return createRoute({
    ...route,
    responses: withGuardResponses(route),
    security: [{ bearerAuth: [] }],
    middleware,
    "x-required-permission": permission,
    ...(options.platformScope ? { "x-platform-key-scope": options.platformScope } : {}),
    ...(route.method === "post"
      ? {
          request: {
            ...route.request,
            headers: idempotencyHeaderSchema,
          },
        }
      : {}),
  } as unknown as R & { middleware: typeof middleware; security: { bearerAuth: string[] }[] });
}

/** A route anyone may call (health, login, invite acceptance): `security: []` says so in the document. */
export function open<const R extends RouteWithoutAuth>(route: R, options: { body?: BodyKind } = {}) {
  const middleware = [inputGuard(options.body)];
  return createRoute({
    ...route,
    responses: withGuardResponses(route),
    security: [],
    middleware,
    "x-public": true,
  } as unknown as R & { middleware: typeof middleware });
}

/** The problems the input guard can answer on any route (400; 413 and 415 where there is a body). */
function withGuardResponses(route: RouteWithoutAuth): RouteConfig["responses"] {
  return { ...problemResponses(400), ...(route.request?.body ? problemResponses(413, 415) : {}), ...route.responses };
}

export const idempotencyHeaderSchema = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description: "Makes the POST safe to retry: the first response is stored for 24 h and replayed.",
      example: "0b1c3f0e-6f7a-4a59-9f2e-1f1c8e0f6b2a",
    }),
});

/** The `content` of a JSON request body or response in a route definition. */
export const jsonContent = <S>(schema: S) => ({ "application/json": { schema } });

/** A JSON response in a route definition: `200: jsonResponse(ticketSchema, "The ticket")`. */
export const jsonResponse = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: jsonContent(schema),
});
