// POST /v1/auth/login/mfa: the second step of a login (docs/auth.md, "Second factors"). The
// mfa_token from the password step plus a TOTP or recovery code gives the same LoginResult as a
// password login. The token lives 5 minutes, allows 5 attempts and works once.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { customers, tierFeatures, users, type Role } from "../../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { ProblemError, problemResponses } from "../http/problem.ts";
import { jsonResponse, open } from "../http/routes.ts";
import { consumeRateLimit } from "../platform/rate-limit-client.ts";
import { throttleLoginNetwork } from "./login-throttle.ts";
import { recordFactorChange } from "./factors.ts";
import { useTokenOnce, verifyPurposeToken } from "./purpose-token.ts";
import { securityPolicyOf } from "./security-policy.ts";
import { sessionModeQuery } from "./browser-session.ts";
import { recordFailedSignIn } from "./sign-in-records.ts";
import {
  answerSignIn,
  browserLoginResultSchema,
  loginResultSchema,
  MFA_TOKEN_TTL_SECONDS,
  startSession,
} from "./sign-in.ts";
import { useRecoveryCode, useTotpCode } from "./totp.ts";

/** Codes tried per mfa_token, right or wrong; then the token is dead. */
export const MFA_ATTEMPTS = 5;

const mfaToken = text({ min: 1, max: 4096 }).openapi({ description: "The `mfa_token` of the MfaChallenge" });
// One object (not a union) so a refusal names its field and unknown fields are refused.
const bodySchema = z
  .strictObject({
    mfa_token: mfaToken,
    code: text({ min: 1, max: 16 })
      .optional()
      .openapi({ description: "The 6-digit code of your authenticator app (or send `recovery_code`)" }),
    recovery_code: text({ min: 1, max: 64 })
      .optional()
      .openapi({ description: "One of your unused recovery codes (or send `code`)" }),
  })
  .refine((b) => (b.code === undefined) !== (b.recovery_code === undefined), {
    message: "Send exactly one of code and recovery_code",
    path: ["code"],
  })
  .openapi("MfaLoginRequest");

const route = open({
  method: "post",
  path: "/v1/auth/login/mfa",
  operationId: "logInWithSecondFactor",
  tags: ["auth"],
  summary: "Second step of a login: the mfa_token and a TOTP or recovery code",
  description:
    "Answers the same LoginResult as a password login. The `mfa_token` is valid 5 minutes and works once; after " +
    `${MFA_ATTEMPTS} codes (right or wrong) it is dead and you log in again. A wrong code, or a dead, used or ` +
    "expired token, is a 401. A TOTP code works once; each recovery code works once.",
  request: {
    query: sessionModeQuery,
    body: { content: { "application/json": { schema: bodySchema } }, required: true },
  },
  responses: {
    200: jsonResponse(z.union([loginResultSchema, browserLoginResultSchema]), "Logged in"),
    ...problemResponses(401, 422, 429),
  },
});

const refused = (detail: string) => new ProblemError(401, "mfa-failed", "Unauthorized", detail);
const DEAD = "The mfa_token is invalid, expired, used up or was tried too often; log in again.";

export const mfaLoginRoutes = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
  const body = c.req.valid("json");
  await throttleLoginNetwork(c);
  const claims = await verifyPurposeToken(c.env.SESSION_SIGNING_KEYS, "mfa", body.mfa_token);
  if (!claims || typeof claims.cid !== "string" || typeof claims.role !== "string") throw refused(DEAD);
  const attempt = await consumeRateLimit(c.env.RATE_LIMITER, `mfa:${claims.jti}`, MFA_ATTEMPTS, MFA_TOKEN_TTL_SECONDS);
  if (!attempt.allowed) throw refused(DEAD);

  const who = { customerId: claims.cid, userId: claims.sub };
  const context = { customerId: who.customerId, userId: who.userId, role: claims.role as Role };
  const found = await c.var.db.tenant(context, "read", async (db) => {
    const [user] = await db
      .select({
        email: users.email,
        role: users.role,
        platformRole: users.platformRole,
        tier: customers.tier,
        rateLimit: tierFeatures.apiRateLimitPerMinute,
        jurisdiction: customers.dataJurisdiction,
      })
      .from(users)
      .innerJoin(customers, eq(customers.id, users.customerId))
      .innerJoin(tierFeatures, eq(tierFeatures.tier, customers.tier))
      .where(
        and(
          eq(users.customerId, who.customerId),
          eq(users.id, who.userId),
          eq(users.status, "active"),
          eq(customers.status, "active"),
        ),
      );
    return user && { user, policy: await securityPolicyOf(db, who.customerId) };
  });
  if (!found) throw refused(DEAD);
  const { user } = found;
  const method = body.code !== undefined ? "totp" : "recovery_code";
  const signingIn = startSession(
    c,
    {
      user_id: who.userId,
      customer_id: who.customerId,
      role: user.role,
      platform_role: user.platformRole,
      tier: user.tier,
      rate_limit_per_minute: user.rateLimit,
      data_jurisdiction: user.jurisdiction,
    },
    found.policy,
    {
      summary: `${user.email} logged in with a second factor (${method})`,
      method,
      data: { mfa: true },
      before: async (db, audit, emit) => {
        if (body.code !== undefined) {
          if (!(await useTotpCode(db, c.env.DATA_ENCRYPTION_KEY, who, body.code)))
            throw refused("The code is wrong or was already used.");
        } else {
          if (!(await useRecoveryCode(db, who, body.recovery_code ?? "")))
            throw refused("The recovery code is wrong or was already used.");
          await recordFactorChange(audit, emit, { ...who, email: user.email }, "recovery_code_used");
        }
        // In the transaction: the token is used up only with the session it starts.
        if (!(await useTokenOnce(c.var.db, "mfa", claims))) throw refused(DEAD);
      },
    },
  );
  const session = await signingIn.catch(async (error: unknown) => {
    // A wrong code is on the account's record, like a wrong password (docs/auth.md, "Sign-in records").
    if (error instanceof ProblemError && error.slug === "mfa-failed" && error.message !== DEAD)
      await recordFailedSignIn(
        c,
        { user_id: who.userId, customer_id: who.customerId, role: user.role, platform_role: user.platformRole },
        user.email,
        "wrong_code",
        method,
      );
    throw error;
  });
  return c.json(await answerSignIn(c, session), 200);
});
