// The end of every sign-in (docs/auth.md): a password login, a login's second step, an MFA
// enrolment completed. Decides between a session, an MFA challenge and an enrolment grant, and
// starts the session with the customer's policy (its lifetime).
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { users } from "../../db/schema.ts";
import type { AppContext } from "../http/context.ts";
import type { Audit } from "../http/transactions.ts";
import { writeAs } from "../http/transactions.ts";
import type { Emit } from "../events/outbox.ts";
import type { Database } from "../platform/database.ts";
import { browserSessionFields, cookieDeviceToken, sessionAnswer } from "./browser-session.ts";
import { issueDeviceToken, knownDevice } from "./device-token.ts";
import { noteNewDevice } from "./sign-in-records.ts";
import type { Principal } from "./principal.ts";
import { issuePurposeToken } from "./purpose-token.ts";
import { signInMethodsOf, type Factors, type SecurityPolicy } from "./security-policy.ts";
import { insertUserSession, userSessionToken } from "./user-sessions.ts";

export const MFA_TOKEN_TTL_SECONDS = 300;
export const ENROLLMENT_TOKEN_TTL_SECONDS = 15 * 60;

/** Who is signing in, as the login lookup (app.find_login) describes them. */
export interface SignInUser {
  user_id: string;
  customer_id: string;
  role: NonNullable<Principal["role"]>;
  platform_role: string | null;
  tier: Principal["tier"];
  rate_limit_per_minute: number;
  data_jurisdiction: Principal["dataJurisdiction"];
}

export const sessionTokenSchema = z
  .object({
    session_token: z.string().openapi({ example: "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0…" }),
    token_type: z.literal("Bearer"),
    customer_id: z.string().uuid(),
    expires_in: z.number().int().openapi({ description: "Seconds until the token expires", example: 3600 }),
  })
  .openapi("SessionToken");

const deviceTokenSchema = z.string().openapi({
  description:
    "Known-device token (30 days). Send it with the next login from this client: once an account has 10 failed " +
    "logins in 15 minutes, only a login that carries one of that user's device tokens may still sign in before " +
    "the window ends. It is not a credential: it opens nothing by itself.",
  example: "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0…",
});

export const loginResultSchema = sessionTokenSchema
  .extend({ user_id: z.string().uuid(), session_id: z.string().uuid(), device_token: deviceTokenSchema })
  .openapi("LoginResult");

/** A sign-in called with ?session=cookie: the session (and device token) went into cookies. */
export const browserLoginResultSchema = z
  .object({
    ...browserSessionFields,
    customer_id: z.string().uuid(),
    expires_in: z.number().int().openapi({ description: "Seconds until the session cookie expires unless used" }),
    user_id: z.string().uuid(),
    session_id: z.string().uuid(),
  })
  .openapi("BrowserLoginResult");

/** What a completed sign-in answers: the LoginResult, or with ?session=cookie the cookies and a CSRF token. */
export async function answerSignIn(
  c: AppContext,
  result: LoginResult,
): Promise<LoginResult | z.infer<typeof browserLoginResultSchema>> {
  const answer = await sessionAnswer(c, {
    token: result.session_token,
    expiresIn: result.expires_in,
    sessionId: result.session_id,
    deviceToken: result.device_token,
  });
  if (answer.token_type === "Bearer") return result;
  return { ...answer, customer_id: result.customer_id, user_id: result.user_id, session_id: result.session_id };
}

export const mfaChallengeSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({
      description: "Send it to POST /v1/auth/login/mfa with a code within 5 minutes; it opens nothing else.",
    }),
    methods: z.array(z.enum(["totp", "recovery_code", "passkey"])).openapi({ example: ["totp", "recovery_code"] }),
  })
  .openapi("MfaChallenge");

export const enrollmentRequiredSchema = z
  .object({
    mfa_enrollment_required: z.literal(true),
    enrollment_token: z.string().openapi({
      description:
        "Your organization requires a second factor. Valid 15 minutes, only as the bearer token of the enrolment " +
        "routes (POST /v1/me/mfa/totp, then POST /v1/me/mfa/totp/confirm, which answers the session).",
    }),
  })
  .openapi("MfaEnrollmentRequired");

/**
 * What a verified first factor leads to: an MFA challenge when the user has a second factor, an
 * enrolment grant when the policy requires one they lack, else nothing (start the session).
 */
export async function secondStep(
  c: AppContext,
  user: SignInUser,
  factors: Factors,
  policy: SecurityPolicy,
): Promise<z.infer<typeof mfaChallengeSchema> | z.infer<typeof enrollmentRequiredSchema> | undefined> {
  const methods = signInMethodsOf(factors);
  const claims = { cid: user.customer_id, role: user.role };
  if (methods.length > 0) {
    const { token } = await issuePurposeToken(
      c.env.SESSION_SIGNING_KEYS,
      "mfa",
      user.user_id,
      claims,
      MFA_TOKEN_TTL_SECONDS,
    );
    return { mfa_required: true, mfa_token: token, methods };
  }
  if (policy.mfaRequired) return { mfa_enrollment_required: true, enrollment_token: await enrollmentToken(c, user) };
  return undefined;
}

export async function enrollmentToken(c: AppContext, user: SignInUser): Promise<string> {
  const claims = {
    cid: user.customer_id,
    role: user.role,
    tier: user.tier,
    rl: user.rate_limit_per_minute,
    jur: user.data_jurisdiction,
  };
  return (
    await issuePurposeToken(
      c.env.SESSION_SIGNING_KEYS,
      "mfa_enrollment",
      user.user_id,
      claims,
      ENROLLMENT_TOKEN_TTL_SECONDS,
    )
  ).token;
}

export interface LoginResult {
  session_token: string;
  token_type: "Bearer";
  customer_id: string;
  expires_in: number;
  user_id: string;
  session_id: string;
  device_token: string;
}

/** When a session started now ends under `policy`. */
export const sessionEnd = (policy: SecurityPolicy, now = Date.now()) =>
  new Date(now + policy.sessionLifetimeMinutes * 60_000);

/**
 * Starts the user's session in one write transaction: `before` runs first (a second factor's
 * check, which throws to refuse), then the session row, last login and the audit event.
 */
export async function startSession(
  c: AppContext,
  user: SignInUser & { email?: string },
  policy: SecurityPolicy,
  how: {
    summary: string;
    /** How the user proved who they are (audited). */
    method: "password" | "totp" | "recovery_code" | "passkey" | "invite" | "mfa_enrollment";
    data?: Record<string, unknown>;
    /** The device token the client showed (body or cookie): none, or another user's, is a new device. */
    presentedDevice?: string;
    before?: (db: Database, audit: Audit, emit: Emit) => Promise<void>;
  },
): Promise<LoginResult> {
  const superAdmin = user.platform_role === "super_admin";
  const context = { customerId: user.customer_id, userId: user.user_id, role: user.role, superAdmin };
  const expiresAt = sessionEnd(policy);
  const fromKnownDevice =
    (await knownDevice(c.env.SESSION_SIGNING_KEYS, how.presentedDevice ?? cookieDeviceToken(c), user.user_id)) !== null;
  const sessionId = await writeAs(
    c,
    async (db, audit, emit) => {
      await how.before?.(db, audit, emit);
      const id = await insertUserSession(c, db, { customerId: user.customer_id, userId: user.user_id, expiresAt });
      const [signedIn] = await db
        .update(users)
        .set({ lastLoginAt: new Date() })
        .where(eq(users.id, user.user_id))
        .returning({ email: users.email });
      await audit({
        action: "user.logged_in",
        resourceType: "user_session",
        resourceId: id,
        summary: how.summary,
        data: { ...how.data, method: how.method, new_device: !fromKnownDevice },
      });
      // An invitee's first sign-in is from a new device by definition: no email for that.
      if (signedIn && how.method !== "invite")
        await noteNewDevice(c, emit, {
          userId: user.user_id,
          email: signedIn.email,
          sessionId: id,
          knownDevice: fromKnownDevice,
        });
      return id;
    },
    { context, actor: { type: superAdmin ? "staff" : "user", id: user.user_id } },
  );
  const { token, expiresIn } = await userSessionToken(c, {
    customerId: user.customer_id,
    userId: user.user_id,
    sessionId,
    role: user.role,
    superAdmin,
    tier: user.tier,
    rateLimitPerMinute: user.rate_limit_per_minute,
    dataJurisdiction: user.data_jurisdiction,
    expiresAt,
    idleSeconds: policy.idleTimeoutMinutes * 60,
  });
  return {
    session_token: token,
    token_type: "Bearer",
    customer_id: user.customer_id,
    expires_in: expiresIn,
    user_id: user.user_id,
    session_id: sessionId,
    device_token: await issueDeviceToken(c.env.SESSION_SIGNING_KEYS, user.user_id),
  };
}
