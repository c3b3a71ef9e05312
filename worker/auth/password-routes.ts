// POST /v1/me/password: a signed-in user changes their own password (docs/auth.md, "Passwords").
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { users } from "../../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { invalidField, ProblemError, problemResponses, rateLimited } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { consumeRateLimit, releaseRateLimit } from "../platform/rate-limit-client.ts";
import { LOGIN_WINDOW_SECONDS } from "./login-throttle.ts";
import { setPassword } from "./password-change.ts";
import { checkPassword, PASSWORD_MAX, passwordField } from "./password-rules.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { revokeSession } from "./revocation.ts";

/** Wrong current passwords per user and window, like login's per-account failures. */
const FAILURES_PER_USER = 10;

const changeRoute = secured("authenticated", {
  method: "post",
  path: "/v1/me/password",
  operationId: "changeMyPassword",
  tags: ["auth"],
  summary: "Change your own password (portal user sessions only)",
  description:
    "Checks `current_password`, sets `new_password`, ends every other session of yours (this one keeps " +
    "working) and emails you. Only a user session may call it (an API key or key session token gets a 403). " +
    "10 wrong current passwords per 15 minutes, then 429.",
  request: {
    body: {
      content: {
        "application/json": {
          schema: z
            .strictObject({
              current_password: text({ min: 1, max: PASSWORD_MAX * 2, trim: false }),
              new_password: passwordField(),
            })
            .openapi("ChangePasswordRequest"),
        },
      },
      required: true,
    },
  },
  responses: { 204: { description: "Changed" }, ...problemResponses(401, 403, 422, 429) },
});

export const passwordRoutes = new OpenAPIHono<AppEnv>().openapi(changeRoute, async (c) => {
  const principal = c.var.principal;
  if (principal.kind !== "user_session" || !principal.userId || !principal.sessionId)
    throw new ProblemError(
      403,
      "user-session-required",
      "User session required",
      "Only a portal user signed in with a password may change it; API keys and their tokens have none.",
    );
  const { current_password: current, new_password: next } = c.req.valid("json");
  const userId = principal.userId;
  const [user] = await readAs(c, (db) =>
    db
      .select({ id: users.id, customerId: users.customerId, email: users.email, passwordHash: users.passwordHash })
      .from(users)
      .where(and(eq(users.customerId, principal.customerId), eq(users.id, userId), eq(users.status, "active"))),
  );
  if (!user)
    throw new ProblemError(401, "unauthorized", "Unauthorized", "The user behind this session no longer exists.");

  // A stolen session must not become an unlimited password oracle: failures are reserved first.
  const subject = `password-change:user:${userId}`;
  const decision = await consumeRateLimit(c.env.RATE_LIMITER, subject, FAILURES_PER_USER, LOGIN_WINDOW_SECONDS);
  if (!decision.allowed)
    throw rateLimited(
      decision,
      "Too many attempts",
      `Too many wrong passwords; retry after ${decision.resetSeconds} s.`,
    );
  if (!(await verifyPassword(current, user.passwordHash)))
    throw invalidField("current_password", "incorrect", "is not your current password");
  await releaseRateLimit(c.env.RATE_LIMITER, subject);
  checkPassword("new_password", next, user.email);

  const passwordHash = await hashPassword(next);
  const ended = await writeAs(c, (db, audit, emit) =>
    setPassword(db, audit, emit, user, passwordHash, { method: "change", keepSessionId: principal.sessionId }),
  );
  await Promise.all(ended.map((s) => revokeSession(c.env.AUTH_CACHE, s.id, s.expiresAt.getTime())));
  return c.body(null, 204);
});
