// Password reset by emailed link (docs/auth.md, "Passwords"). Public routes: asking answers the
// same 202 whether or not the address has an account; the single-use link (30 minutes, token
// only in the URL fragment so it never reaches a server log) goes only to that address, and a
// newer request voids the older links. Confirming sets the password and ends every session.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { passwordResets, type Role } from "../../db/schema.ts";
import { clientIpBucket } from "../http/client-ip.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { ProblemError, problemResponses, rateLimited } from "../http/problem.ts";
import { open } from "../http/routes.ts";
import { writeAs } from "../http/transactions.ts";
import { sha256, toBase64Url, toHex } from "../platform/encoding.ts";
import { consumeRateLimit } from "../platform/rate-limit-client.ts";
import { setPassword } from "./password-change.ts";
import { checkPassword, passwordField } from "./password-rules.ts";
import { hashPassword } from "./passwords.ts";
import { revokeSession } from "./revocation.ts";

export const RESET_TTL_MINUTES = 30;
const WINDOW_SECONDS = 15 * 60;
/** Per address: enough for a lost email or two, too few to flood someone's inbox. */
const REQUESTS_PER_ADDRESS = 3;
/** Per IPv4 address or IPv6 /64, asking and confirming each. */
const ATTEMPTS_PER_NETWORK = 20;

async function throttle(c: AppContext, subject: string, limit: number): Promise<void> {
  const decision = await consumeRateLimit(c.env.RATE_LIMITER, subject, limit, WINDOW_SECONDS);
  if (!decision.allowed) throw rateLimited(decision, "Too many password reset attempts");
}

const acceptedSchema = z
  .object({ message: z.string().openapi({ example: "If the address has an account, a reset link is on its way." }) })
  .openapi("PasswordResetRequested");
const ACCEPTED = { message: "If the address has an account, a reset link is on its way." };

const requestRoute = open({
  method: "post",
  path: "/v1/auth/password-resets",
  operationId: "requestPasswordReset",
  tags: ["auth"],
  summary: "Email a password reset link (same answer whether or not the account exists)",
  description:
    `Always 202 with the same body. If the address belongs to an active account, it is emailed a single-use link ` +
    `valid ${RESET_TTL_MINUTES} minutes; earlier unused links of that user stop working. Throttled per address ` +
    `(${REQUESTS_PER_ADDRESS} per 15 min) and per network (${ATTEMPTS_PER_NETWORK} per 15 min).`,
  request: {
    body: {
      content: {
        "application/json": {
          schema: z
            .strictObject({ email: z.string().email().max(320).openapi({ example: "ada@acme-health.example" }) })
            .openapi("PasswordResetRequest"),
        },
      },
      required: true,
    },
  },
  responses: {
    202: { description: "Accepted", content: { "application/json": { schema: acceptedSchema } } },
    ...problemResponses(422, 429),
  },
});

const confirmRoute = open({
  method: "post",
  path: "/v1/auth/password-resets/confirm",
  operationId: "confirmPasswordReset",
  tags: ["auth"],
  summary: "Set a new password with the emailed reset token; ends every session",
  description:
    "Any unknown, used, voided or expired token is the same 404 `reset-invalid`. A new password that breaks the " +
    "rules is a 422 naming `body.new_password` (the link stays usable). Throttled per network.",
  request: {
    body: {
      content: {
        "application/json": {
          schema: z
            .strictObject({
              token: text({ min: 1, max: 256, trim: false }).openapi({
                description: "The `token` from the reset link's fragment",
              }),
              new_password: passwordField(),
            })
            .openapi("PasswordResetConfirmation"),
        },
      },
      required: true,
    },
  },
  responses: { 204: { description: "Password set" }, ...problemResponses(404, 422, 429) },
});

const resetInvalid = () =>
  new ProblemError(
    404,
    "reset-invalid",
    "Reset link not valid",
    "This password reset link is invalid, expired, already used or replaced by a newer one; ask for a new one.",
  );

interface LoginRow extends Record<string, unknown> {
  user_id: string;
  customer_id: string;
  role: Role;
  user_status: string;
  customer_status: string;
}
interface FoundReset extends Record<string, unknown> {
  reset_id: string;
  customer_id: string;
  user_id: string;
  email: string;
  role: Role;
}

export const passwordResetRoutes = new OpenAPIHono<AppEnv>()
  .openapi(requestRoute, async (c) => {
    const address = c.req.valid("json").email.toLowerCase();
    await throttle(c, `password-reset:ip:${clientIpBucket(c)}`, ATTEMPTS_PER_NETWORK);
    await throttle(c, `password-reset:email:${address}`, REQUESTS_PER_ADDRESS);
    // The lookup and the token happen for every address, so the common work does not tell.
    const [[row], token] = await Promise.all([
      c.var.db.system<LoginRow>("SELECT * FROM app.find_login($1)", [address]),
      (async () => {
        const value = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
        return { value, hash: await sha256(value) };
      })(),
    ]);
    if (row?.user_status === "active" && row.customer_status === "active") {
      const context = { customerId: row.customer_id, userId: row.user_id, role: row.role, superAdmin: false };
      await writeAs(
        c,
        async (db, audit, emit) => {
          // Only the newest link works: the earlier unused ones are void.
          await db
            .update(passwordResets)
            .set({ voidedAt: sql`now()` })
            .where(
              and(
                eq(passwordResets.customerId, row.customer_id),
                eq(passwordResets.userId, row.user_id),
                isNull(passwordResets.usedAt),
                isNull(passwordResets.voidedAt),
                gt(passwordResets.expiresAt, sql`now()`),
              ),
            );
          const expiresAt = new Date(Date.now() + RESET_TTL_MINUTES * 60_000);
          const [reset] = await db
            .insert(passwordResets)
            .values({ customerId: row.customer_id, userId: row.user_id, tokenHash: token.hash, expiresAt })
            .returning({ id: passwordResets.id });
          await emit(
            "user.password_reset_requested",
            { user_id: row.user_id, email: address, expires_at: expiresAt.toISOString() },
            { secrets: { token: token.value } },
          );
          await audit({
            action: "user.password_reset_requested",
            resourceType: "password_reset",
            resourceId: reset!.id,
            summary: `Password reset link sent to ${address}`,
          });
        },
        { context, actor: { type: "user", id: row.user_id } },
      );
    }
    return c.json(ACCEPTED, 202);
  })
  .openapi(confirmRoute, async (c) => {
    const { token, new_password: next } = c.req.valid("json");
    await throttle(c, `password-reset-confirm:ip:${clientIpBucket(c)}`, ATTEMPTS_PER_NETWORK);
    const [found] = await c.var.db.system<FoundReset>("SELECT * FROM app.find_password_reset(decode($1, 'hex'))", [
      toHex(await sha256(token)),
    ]);
    if (!found) throw resetInvalid();
    checkPassword("new_password", next, found.email);
    const passwordHash = await hashPassword(next);
    const context = { customerId: found.customer_id, userId: found.user_id, role: found.role, superAdmin: false };
    const ended = await writeAs(
      c,
      async (db, audit, emit) => {
        // Claimed first: of two racing confirmations the second finds it used.
        const [claimed] = await db
          .update(passwordResets)
          .set({ usedAt: sql`now()` })
          .where(
            and(
              eq(passwordResets.customerId, found.customer_id),
              eq(passwordResets.id, found.reset_id),
              isNull(passwordResets.usedAt),
              isNull(passwordResets.voidedAt),
              gt(passwordResets.expiresAt, sql`now()`),
            ),
          )
          .returning({ id: passwordResets.id });
        if (!claimed) throw resetInvalid();
        const user = { id: found.user_id, customerId: found.customer_id, email: found.email };
        return setPassword(db, audit, emit, user, passwordHash, { method: "reset", keepSessionId: null });
      },
      { context, actor: { type: "user", id: found.user_id } },
    );
    await Promise.all(ended.map((s) => revokeSession(c.env.AUTH_CACHE, s.id, s.expiresAt.getTime())));
    return c.body(null, 204);
  });
