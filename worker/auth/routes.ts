// Sign-in and identity: API key -> session token, portal login/logout, and "who am I".
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { customers, users, userSessions } from "../../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { newEvent } from "../events/messages.ts";
import { problemResponses, ProblemError } from "../http/problem.ts";
import { open, secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { clearSessionCookie, cookieDeviceToken, csrfToken, sessionModeQuery } from "./browser-session.ts";
import { knownDevice } from "./device-token.ts";
import { type FailedSignInReason, recordFailedSignIn } from "./sign-in-records.ts";
import { releaseLoginFailure, reserveLoginFailure, throttleLoginNetwork } from "./login-throttle.ts";
import { verifyPassword } from "./passwords.ts";
import { PASSWORD_MAX } from "./password-rules.ts";
import { passwordRoutes } from "./password-routes.ts";
import { passwordResetRoutes } from "./password-resets.ts";
import { mfaLoginRoutes } from "./mfa-login.ts";
import { mfaRoutes } from "./mfa-routes.ts";
import { securityPolicyRoutes } from "./security-policy-routes.ts";
import { passkeyRoutes } from "./passkey-routes.ts";
import { passkeySignInRoutes } from "./passkey-sign-in.ts";
import type { Principal } from "./principal.ts";
import { revokeSession } from "./revocation.ts";
import { loginSecurity } from "./security-policy.ts";
import {
  answerSignIn,
  browserLoginResultSchema,
  enrollmentRequiredSchema,
  loginResultSchema,
  mfaChallengeSchema,
  secondStep,
  sessionTokenSchema,
  startSession,
} from "./sign-in.ts";
import { issueSessionToken, USER_SESSION_TTL_SECONDS } from "./session-token.ts";
import { text } from "../http/input.ts";

const exchangeRoute = secured(
  "authenticated",
  {
    method: "post",
    path: "/v1/auth/token",
    operationId: "createSessionToken",
    tags: ["auth"],
    summary: "Exchange an API key for a short-lived session token",
    description:
      "Send the API key as `Authorization: Bearer sb_live_…`. The returned JWT works on every endpoint " +
      "in place of the key, carries the key's scopes and never outlives the key (at most 1 hour).",
    responses: {
      200: { description: "A session token", content: { "application/json": { schema: sessionTokenSchema } } },
      ...problemResponses(401, 429),
    },
  },
  { apiKeyOnly: true },
);

const loginBodySchema = z
  .strictObject({
    email: z.string().email().max(320).openapi({ example: "ada@acme-health.example" }),
    // Up to 256 code points, as the rules allow (worker/auth/password-rules.ts).
    password: text({ min: 1, max: PASSWORD_MAX * 2, trim: false }).openapi({ example: "correct horse battery staple" }),
    device_token: text({ min: 1, max: 2048 }).optional().openapi({
      description: "The `device_token` of an earlier login from this client (see LoginResult).",
    }),
  })
  .openapi("LoginRequest");

const loginRoute = open({
  method: "post",
  path: "/v1/auth/login",
  operationId: "logIn",
  tags: ["auth"],
  summary: "Log a portal user in with email and password",
  description:
    "Returns a session token for the user (as long as the organization's session lifetime, 12 hours by default) " +
    "and records a session you can list and revoke. A user with a second factor gets an MFA challenge instead, " +
    "and a user whose organization requires one they lack gets an enrolment grant (docs/auth.md). A 403 " +
    "`sign-in-method-not-allowed` when the organization does not allow passwords. " +
    "Failures are deliberately generic. Throttled per network (100 attempts per 15 min per IPv4 address or " +
    "IPv6 /64) and per account (10 failed attempts per 15 min; after that, until the window ends, only a login " +
    "that sends a `device_token` this user got from an earlier login may sign in, with 10 failures of its own).",
  request: {
    query: sessionModeQuery,
    body: { content: { "application/json": { schema: loginBodySchema } }, required: true },
  },
  responses: {
    200: {
      description:
        "Logged in (`LoginResult`; with `?session=cookie`, `BrowserLoginResult`: the session is in a cookie and the " +
        "body has a `csrf_token`); or a second factor is needed (`MfaChallenge`: continue with POST " +
        "/v1/auth/login/mfa); or the organization requires one the user has not set up (`MfaEnrollmentRequired`)",
      content: {
        "application/json": {
          schema: z.union([loginResultSchema, browserLoginResultSchema, mfaChallengeSchema, enrollmentRequiredSchema]),
        },
      },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

const logoutRoute = secured("authenticated", {
  method: "post",
  path: "/v1/auth/logout",
  operationId: "logOut",
  tags: ["auth"],
  summary: "End the current session (the token stops working at once)",
  description: "Ends the session of the user session token used to call it. Other sessions stay valid.",
  responses: { 204: { description: "Logged out" }, ...problemResponses(400, 401) },
});

const meSchema = z
  .object({
    object: z.literal("principal"),
    type: z.enum(["api_key", "session_token", "user_session"]),
    customer: z.object({ id: z.string().uuid(), name: z.string(), tier: z.string(), status: z.string() }),
    api_key_id: z.string().uuid().nullable(),
    user: z.object({ id: z.string().uuid(), email: z.string(), name: z.string(), role: z.string() }).nullable(),
    super_admin: z.boolean(),
    permissions: z.array(z.string()).openapi({ example: ["invoices:read", "usage:read"] }),
    rate_limit_per_minute: z.number().int(),
    expires_at: z.string().datetime().nullable(),
    csrf_token: z.string().nullable().openapi({
      description: "User sessions: the X-CSRF-Token to send with unsafe requests made with the session cookie",
    }),
  })
  .openapi("Me");

const meRoute = secured("authenticated", {
  method: "get",
  path: "/v1/me",
  operationId: "getMe",
  tags: ["auth"],
  summary: "Who am I: customer, key or user, role, permissions, tier",
  description: "The caller: its customer, its user or API key, and the permissions it holds.",
  responses: {
    200: { description: "The caller", content: { "application/json": { schema: meSchema } } },
    ...problemResponses(401),
  },
});

const NO_USER = "00000000-0000-0000-0000-000000000000";
const invalidLogin = () => new ProblemError(401, "invalid-credentials", "Unauthorized", "Invalid email or password.");

interface LoginRow extends Record<string, unknown> {
  user_id: string;
  customer_id: string;
  role: Principal["role"] & string;
  platform_role: string | null;
  password_hash: string | null;
  user_status: string;
  customer_status: string;
  tier: Principal["tier"];
  rate_limit_per_minute: number;
  data_jurisdiction: Principal["dataJurisdiction"];
}

export const authRoutes = new OpenAPIHono<AppEnv>()
  .route("/", passwordRoutes)
  .route("/", passwordResetRoutes)
  .route("/", mfaRoutes)
  .route("/", mfaLoginRoutes)
  .route("/", securityPolicyRoutes)
  .route("/", passkeyRoutes)
  .route("/", passkeySignInRoutes)
  .openapi(exchangeRoute, async (c) => {
    const principal = c.var.principal;
    const { token, expiresIn } = await issueSessionToken(c.env.SESSION_SIGNING_KEYS, principal);
    c.executionCtx.waitUntil(
      c.env.EVENTS.send(
        newEvent("auth.session_token.issued", principal.customerId, {
          api_key_id: principal.keyId,
          expires_in: expiresIn,
        }),
      ),
    );
    return c.json(
      { session_token: token, token_type: "Bearer" as const, customer_id: principal.customerId, expires_in: expiresIn },
      200,
    );
  })
  .openapi(loginRoute, async (c) => {
    const body = c.req.valid("json");
    const { email, password } = body;
    const presentedDevice = body.device_token ?? cookieDeviceToken(c);
    const address = email.toLowerCase();
    await throttleLoginNetwork(c);
    let found: Promise<LoginRow | undefined> | undefined;
    const findUser = () =>
      (found ??= c.var.db.system<LoginRow>("SELECT * FROM app.find_login($1)", [address]).then(([row]) => row));
    const reserved = await reserveLoginFailure(c, address, async () => {
      const user = await findUser();
      return user ? knownDevice(c.env.SESSION_SIGNING_KEYS, presentedDevice, user.user_id) : null;
    });
    const row = await findUser();
    // Always verify (against a decoy when there is no user), so timing does not reveal accounts.
    // The factors and policy are read while the password is checked (no extra round trip), and
    // for unknown addresses too, so the time taken does not tell whether an account exists.
    const [passwordOk, security] = await Promise.all([
      verifyPassword(password, row?.password_hash ?? null),
      loginSecurity(c.var.db, row?.user_id ?? NO_USER, row?.tier ?? "standard"),
    ]);
    if (!row) throw invalidLogin();
    const failure: FailedSignInReason | null = !passwordOk
      ? "wrong_password"
      : row.user_status !== "active"
        ? "user_inactive"
        : row.customer_status !== "active"
          ? "customer_inactive"
          : null;
    if (failure) {
      await recordFailedSignIn(c, row, address, failure);
      throw invalidLogin();
    }
    await releaseLoginFailure(c, reserved);

    // Checked after the password, so a refusal tells nothing to someone who does not know it.
    if (!security.policy.allowedSignInMethods.includes("password"))
      throw new ProblemError(
        403,
        "sign-in-method-not-allowed",
        "Sign-in method not allowed",
        "Your organization does not allow signing in with a password; use a passkey.",
      );
    const next = await secondStep(c, row, security.factors, security.policy);
    if (next) return c.json(next, 200);
    const session = await startSession(c, row, security.policy, {
      summary: `${address} logged in`,
      method: "password",
      presentedDevice,
    });
    return c.json(await answerSignIn(c, session), 200);
  })
  .openapi(logoutRoute, async (c) => {
    const principal = c.var.principal;
    if (principal.kind === "api_key" || !principal.sessionId) {
      throw new ProblemError(
        400,
        "not-a-session",
        "Not a session",
        "API keys are not sessions; revoke a key with DELETE /v1/api-keys/{id}.",
      );
    }
    if (principal.kind === "user_session") {
      await writeAs(c, async (db, audit) => {
        await db.update(userSessions).set({ revokedAt: new Date() }).where(eq(userSessions.id, principal.sessionId!));
        await audit({
          action: "user.logged_out",
          resourceType: "user_session",
          resourceId: principal.sessionId,
          summary: "Logged out",
        });
      });
    }
    // The mark outlives every token of the session, renewed ones included.
    await revokeSession(
      c.env.AUTH_CACHE,
      principal.sessionId,
      principal.sessionEndsAt ?? principal.expiresAt ?? Date.now() + USER_SESSION_TTL_SECONDS * 1000,
    );
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .openapi(meRoute, async (c) => {
    const principal = c.var.principal;
    const { customer, user } = await readAs(c, async (db) => {
      const [customer] = await db.select().from(customers).where(eq(customers.id, principal.customerId));
      const [user] = principal.userId ? await db.select().from(users).where(eq(users.id, principal.userId)) : [];
      return { customer, user };
    });
    if (!customer)
      throw new ProblemError(
        401,
        "unauthorized",
        "Unauthorized",
        "The customer behind these credentials no longer exists.",
      );
    // A session outliving its user (deleted, deactivated, or a database replaced) authenticates nobody.
    if (principal.userId && user?.status !== "active")
      throw new ProblemError(
        401,
        "unauthorized",
        "Unauthorized",
        "The user behind these credentials no longer exists.",
        {
          headers: { "www-authenticate": 'Bearer realm="securebase"' },
        },
      );
    return c.json(
      {
        object: "principal" as const,
        // Enrolment tokens and platform keys never reach this route (it is not an enrolment route).
        type: principal.kind as Exclude<Principal["kind"], "mfa_enrollment" | "platform_key">,
        customer: { id: customer.id, name: customer.name, tier: customer.tier, status: customer.status },
        api_key_id: principal.keyId,
        user: user ? { id: user.id, email: user.email, name: user.name, role: user.role } : null,
        super_admin: principal.superAdmin,
        permissions: principal.superAdmin ? ["*"] : principal.scopes,
        rate_limit_per_minute: principal.rateLimitPerMinute,
        expires_at: principal.expiresAt === null ? null : new Date(principal.expiresAt).toISOString(),
        csrf_token:
          principal.kind === "user_session" && principal.sessionId
            ? await csrfToken(c.env.SESSION_SIGNING_KEYS, principal.sessionId)
            : null,
      },
      200,
    );
  });
