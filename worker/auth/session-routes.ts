// Portal user sessions: list, revoke, validate. A user always sees and may end its own
// sessions; sessions:read / sessions:write extend that to every session of the customer.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { and, desc, eq, gt, isNull, sql, type SQL } from "drizzle-orm";
import { userSessions } from "../../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { afterCursor, idParam, pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { notFound, problemResponses, ProblemError } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { hasScope, type Principal } from "./principal.ts";
import { isRevoked, revokeSession } from "./revocation.ts";
import { verifySessionToken } from "./session-token.ts";
import { text } from "../http/input.ts";

type SessionRow = typeof userSessions.$inferSelect;

const sessionSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("session"),
    user_id: z.string().uuid(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    created_at: z.string().datetime(),
    last_seen_at: z.string().datetime(),
    expires_at: z.string().datetime(),
    revoked_at: z.string().datetime().nullable(),
    current: z.boolean().openapi({ description: "Whether this is the session making the request" }),
  })
  .openapi("Session");

const toSession = (row: SessionRow, principal: Principal): z.infer<typeof sessionSchema> => ({
  id: row.id,
  object: "session",
  user_id: row.userId,
  ip: row.ip,
  user_agent: row.userAgent,
  created_at: row.createdAt.toISOString(),
  last_seen_at: row.lastSeenAt.toISOString(),
  expires_at: row.expiresAt.toISOString(),
  revoked_at: row.revokedAt?.toISOString() ?? null,
  current: principal.kind === "user_session" && principal.sessionId === row.id,
});

/** Sessions the caller may see: its own, or all the customer's with `permission`. */
function visibleTo(principal: Principal, permission: string): SQL | undefined {
  if (hasScope(principal, permission)) return undefined;
  if (principal.userId) return eq(userSessions.userId, principal.userId);
  throw new ProblemError(
    403,
    "insufficient-permission",
    "Forbidden",
    `These credentials lack the '${permission}' permission.`,
  );
}

const listRoute = secured("authenticated", {
  method: "get",
  path: "/v1/sessions",
  operationId: "listSessions",
  tags: ["sessions"],
  summary: "List portal sessions (your own; all of the customer's with sessions:read)",
  description:
    "Your own portal sessions; with `sessions:read`, every session in your organization (filter by `user_id`).",
  request: {
    query: paginationQuerySchema.extend({
      user_id: z
        .string()
        .uuid()
        .optional()
        .openapi({ param: { name: "user_id", in: "query" } }),
      active: z
        .enum(["true", "false"])
        .optional()
        .openapi({ param: { name: "active", in: "query" }, description: "Only unexpired, unrevoked sessions" }),
    }),
  },
  responses: {
    200: {
      description: "A page of sessions",
      content: { "application/json": { schema: pageSchema(sessionSchema, "SessionList") } },
    },
    ...problemResponses(400, 401, 403),
  },
});

const revokeRoute = secured("authenticated", {
  method: "delete",
  path: "/v1/sessions/{id}",
  operationId: "revokeSession",
  tags: ["sessions"],
  summary: "Revoke a session (your own; any of the customer's with sessions:write)",
  description:
    "Ends a session at once: its token is refused on the next request. Your own, or any in your organization with `sessions:write`.",
  request: { params: idParam },
  responses: {
    200: { description: "The revoked session", content: { "application/json": { schema: sessionSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

const validateRoute = secured("authenticated", {
  method: "post",
  path: "/v1/sessions/validate",
  operationId: "validateSession",
  tags: ["sessions"],
  summary: "Check whether a user session token is valid (signature, expiry, revocation, session row)",
  description:
    "Answers whether a user session token is valid now. An invalid token is a normal answer (`valid: false`), not an error.",
  request: {
    body: {
      content: {
        "application/json": {
          schema: z
            .strictObject({ session_token: text({ min: 1, max: 4096, trim: false }) })
            .openapi("ValidateSessionRequest"),
        },
      },
      required: true,
    },
  },
  responses: {
    200: {
      description: "The verdict; invalid tokens are not an error",
      content: {
        "application/json": {
          schema: z.object({ valid: z.boolean(), session: sessionSchema.nullable() }).openapi("SessionValidation"),
        },
      },
    },
    ...problemResponses(401, 422),
  },
});

export const sessionRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const principal = c.var.principal;
    const query = c.req.valid("query");
    const rows = await readAs(c, (db) =>
      db
        .select()
        .from(userSessions)
        .where(
          and(
            visibleTo(principal, "sessions:read"),
            query.user_id ? eq(userSessions.userId, query.user_id) : undefined,
            // Filtered in SQL, before the limit, so pages stay full and has_more stays true.
            query.active === "true"
              ? and(isNull(userSessions.revokedAt), gt(userSessions.expiresAt, sql`now()`))
              : undefined,
            afterCursor(userSessions.id, query),
          ),
        )
        .orderBy(desc(userSessions.id))
        .limit(query.limit + 1),
    );
    return c.json(
      pageOf(rows, query.limit, (r) => toSession(r, principal)),
      200,
    );
  })
  .openapi(revokeRoute, async (c) => {
    const principal = c.var.principal;
    const { id } = c.req.valid("param");
    const row = await writeAs(c, async (db, audit) => {
      const [updated] = await db
        .update(userSessions)
        .set({ revokedAt: new Date() })
        .where(and(eq(userSessions.id, id), visibleTo(principal, "sessions:write")))
        .returning();
      if (!updated) throw notFound("session", id);
      await audit({
        action: "user_session.revoked",
        resourceType: "user_session",
        resourceId: id,
        summary: `Session ${id} revoked`,
        data: { user_id: updated.userId },
      });
      return updated;
    });
    await revokeSession(c.env.AUTH_CACHE, id, row.expiresAt.getTime());
    return c.json(toSession(row, principal), 200);
  })
  .openapi(validateRoute, async (c) => {
    const { session_token } = c.req.valid("json");
    const candidate = await verifySessionToken(c.env.SESSION_SIGNING_KEYS, session_token);
    // Only sessions of the caller's own customer are reported on; anything else is just invalid.
    if (candidate?.kind !== "user_session" || candidate.customerId !== c.var.principal.customerId) {
      return c.json({ valid: false, session: null }, 200);
    }
    const [row] = await readAs(c, (db) =>
      db.select().from(userSessions).where(eq(userSessions.id, candidate.sessionId!)),
    );
    const valid =
      !!row &&
      !row.revokedAt &&
      row.expiresAt.getTime() > Date.now() &&
      !(await isRevoked(c.env.AUTH_CACHE, candidate));
    return c.json({ valid, session: row ? toSession(row, c.var.principal) : null }, 200);
  });
