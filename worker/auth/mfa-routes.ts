// Second factors of the signed-in user (docs/auth.md, "Second factors"): enrol a TOTP
// authenticator, confirm it (which answers the recovery codes, and the session when enrolling
// with an enrolment token), remove it with a code.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { users } from "../../db/schema.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { invalidField, ProblemError, problemResponses } from "../http/problem.ts";
import { jsonResponse, secured } from "../http/routes.ts";
import { writeAs } from "../http/transactions.ts";
import type { Emit } from "../events/outbox.ts";
import type { Audit } from "../http/transactions.ts";
import type { Database } from "../platform/database.ts";
import { recordFactorChange } from "./factors.ts";
import { sessionModeQuery } from "./browser-session.ts";
import { finishEnrollment } from "./enrollment-session.ts";
import { answerSignIn, loginResultSchema } from "./sign-in.ts";
import { issueRecoveryCodes, removeTotp, startTotp, useRecoveryCode, useTotpCode, type Subject } from "./totp.ts";

const codeField = text({ min: 1, max: 16 }).openapi({ description: "The 6-digit code of the app", example: "492039" });
const recoveryCodeField = text({ min: 1, max: 64 }).openapi({
  description: "One of your unused recovery codes",
  example: "k7qp-2mzx-w4rt-h9vd",
});

const startRoute = secured(
  "authenticated",
  {
    method: "post",
    path: "/v1/me/mfa/totp",
    operationId: "startTotpEnrollment",
    tags: ["auth"],
    summary: "Start setting up an authenticator app (TOTP)",
    description:
      "Answers a new secret and its `otpauth://` URI (for a QR code). It stays pending until confirmed with a code; " +
      "calling again replaces a pending one. 409 if you already have a confirmed authenticator. Portal users only; " +
      "also takes an enrolment token.",
    responses: {
      201: jsonResponse(
        z
          .object({
            secret: z.string().openapi({ description: "Base32 secret", example: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" }),
            otpauth_uri: z.string().openapi({
              example: "otpauth://totp/SecureBase:ada%40acme.example?issuer=SecureBase&secret=JBSW…&algorithm=SHA1",
            }),
          })
          .openapi("TotpEnrollment"),
        "The pending authenticator",
      ),
      ...problemResponses(401, 403, 409),
    },
  },
  { enrollment: true },
);

const confirmRoute = secured(
  "authenticated",
  {
    method: "post",
    path: "/v1/me/mfa/totp/confirm",
    operationId: "confirmTotpEnrollment",
    tags: ["auth"],
    summary: "Confirm the authenticator with a code; answers 10 recovery codes (shown once)",
    description:
      "A wrong code is a 422 naming `body.code`. Answers ten single-use recovery codes, shown only now. Called with " +
      "an enrolment token, it also signs you in: the answer carries the session (the LoginResult fields) and the " +
      "enrolment token is used up.",
    request: {
      // ?session=cookie with an enrolment token: the portal's MFA enrolment signs in with the cookie.
      query: sessionModeQuery,
      body: {
        content: { "application/json": { schema: z.strictObject({ code: codeField }).openapi("TotpConfirmation") } },
        required: true,
      },
    },
    responses: {
      200: jsonResponse(
        loginResultSchema
          .partial()
          .extend({
            recovery_codes: z.array(z.string()).length(10),
            // With an enrolment token and ?session=cookie: the session went into the cookie.
            token_type: z.enum(["Bearer", "Cookie"]).optional(),
            csrf_token: z.string().optional(),
          })
          .openapi("TotpConfirmed", {
            description: "The recovery codes; the session fields only when confirmed with an enrolment token.",
          }),
        "Confirmed",
      ),
      ...problemResponses(401, 403, 404, 422),
    },
  },
  { enrollment: true },
);

const removeRoute = secured("authenticated", {
  method: "delete",
  path: "/v1/me/mfa/totp",
  operationId: "removeTotp",
  tags: ["auth"],
  summary: "Remove your authenticator and recovery codes (needs a current code or a recovery code)",
  description: "Send `code` or `recovery_code`; a wrong one is a 422 naming it. You are emailed.",
  request: {
    body: {
      content: {
        "application/json": {
          schema: z
            .union([z.strictObject({ code: codeField }), z.strictObject({ recovery_code: recoveryCodeField })])
            .openapi("TotpRemoval"),
        },
      },
      required: true,
    },
  },
  responses: { 204: { description: "Removed" }, ...problemResponses(401, 403, 404, 422) },
});

/** The signed-in portal user (a session or an enrolment grant); API keys have no factors. */
function portalUser(c: AppContext): Subject {
  const principal = c.var.principal;
  if ((principal.kind !== "user_session" && principal.kind !== "mfa_enrollment") || !principal.userId)
    throw new ProblemError(
      403,
      "user-session-required",
      "User session required",
      "Only a signed-in portal user has second factors; API keys and their tokens have none.",
    );
  return { customerId: principal.customerId, userId: principal.userId };
}

async function emailOf(db: Database, who: Subject): Promise<string> {
  const [user] = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.customerId, who.customerId), eq(users.id, who.userId), eq(users.status, "active")));
  if (!user) throw new ProblemError(401, "unauthorized", "Unauthorized", "The user behind these credentials is gone.");
  return user.email;
}

async function confirmTotp(
  c: AppContext,
  db: Database,
  audit: Audit,
  emit: Emit,
  who: Subject,
  code: string,
): Promise<string[]> {
  const email = await emailOf(db, who);
  if (!(await useTotpCode(db, c.env.DATA_ENCRYPTION_KEY, who, code, { pending: true })))
    throw invalidField("code", "incorrect", "is not a current code of the pending authenticator");
  const codes = await issueRecoveryCodes(db, who);
  await recordFactorChange(audit, emit, { ...who, email }, "totp_enrolled");
  return codes;
}

export const mfaRoutes = new OpenAPIHono<AppEnv>()
  .openapi(startRoute, async (c) => {
    const who = portalUser(c);
    const started = await writeAs(c, async (db) =>
      startTotp(db, c.env.DATA_ENCRYPTION_KEY, { ...who, email: await emailOf(db, who) }),
    );
    if (!started)
      throw new ProblemError(
        409,
        "totp-exists",
        "Authenticator already set up",
        "You already have a confirmed authenticator; remove it first (DELETE /v1/me/mfa/totp).",
      );
    return c.json({ secret: started.secret, otpauth_uri: started.uri }, 201);
  })
  .openapi(confirmRoute, async (c) => {
    const who = portalUser(c);
    const { code } = c.req.valid("json");
    const principal = c.var.principal;
    if (principal.kind !== "mfa_enrollment") {
      const codes = await writeAs(c, (db, audit, emit) => confirmTotp(c, db, audit, emit, who, code));
      return c.json({ recovery_codes: codes }, 200);
    }
    // Enrolling: confirming the factor and starting the session commit together, and use the grant up.
    let codes: string[] = [];
    const session = await finishEnrollment(c, principal, {
      summary: "Signed in after setting up an authenticator app",
      method: "totp",
      store: async (db, audit, emit) => {
        codes = await confirmTotp(c, db, audit, emit, who, code);
      },
    });
    return c.json({ recovery_codes: codes, ...(await answerSignIn(c, session)) }, 200);
  })
  .openapi(removeRoute, async (c) => {
    const who = portalUser(c);
    const body = c.req.valid("json");
    await writeAs(c, async (db, audit, emit) => {
      const email = await emailOf(db, who);
      if ("code" in body) {
        if (!(await useTotpCode(db, c.env.DATA_ENCRYPTION_KEY, who, body.code)))
          throw invalidField("code", "incorrect", "is not a current code of your authenticator");
      } else if (!(await useRecoveryCode(db, who, body.recovery_code))) {
        throw invalidField("recovery_code", "incorrect", "is not an unused recovery code of yours");
      }
      if (!(await removeTotp(db, who)))
        throw new ProblemError(404, "not-found", "Not found", "You have no authenticator to remove.");
      await recordFactorChange(audit, emit, { ...who, email }, "totp_removed");
    });
    return c.body(null, 204);
  });
