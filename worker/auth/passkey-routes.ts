// A signed-in portal user's passkeys (docs/auth.md, "Passkeys"): registration options, verified
// registration, list, delete. Only a user session may call them: an API key has no user.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { and, asc, eq } from "drizzle-orm";
import { userPasskeys, users } from "../../db/schema.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { notFound, ProblemError, problemResponses } from "../http/problem.ts";
import { jsonContent, jsonResponse, secured } from "../http/routes.ts";
import { type Audit, readAs, writeAs } from "../http/transactions.ts";
import type { Emit } from "../events/outbox.ts";
import type { Database } from "../platform/database.ts";
import { finishEnrollment } from "./enrollment-session.ts";
import { answerSignIn, browserLoginResultSchema, loginResultSchema } from "./sign-in.ts";
import { fromBase64, toBase64Url } from "../platform/encoding.ts";
import {
  CHALLENGE_TTL_SECONDS,
  clientChallenge,
  credentialDescriptorSchema,
  isUniqueViolation,
  issueChallenge,
  PASSKEY_ALGORITHMS,
  passkeyRefused,
  readChallenge,
  registrationResponseSchema,
  relyingParty,
  useChallengeOnce,
  userHandle,
} from "./passkeys.ts";

const passkeySchema = z
  .object({
    object: z.literal("passkey"),
    id: z.string().uuid(),
    name: z.string(),
    credential_id: z.string().openapi({ description: "The WebAuthn credential id, base64url" }),
    transports: z.array(z.string()),
    device_type: z.enum(["singleDevice", "multiDevice"]).openapi({
      description: "`multiDevice`: a synced passkey (may be backed up); `singleDevice`: bound to one device",
    }),
    backed_up: z.boolean(),
    created_at: z.string().datetime(),
    last_used_at: z.string().datetime().nullable(),
  })
  .openapi("Passkey");

const creationOptionsSchema = z
  .object({
    rp: z.object({ id: z.string(), name: z.string() }),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
    challenge: z.string(),
    pubKeyCredParams: z.array(z.object({ type: z.literal("public-key"), alg: z.number().int() })),
    timeout: z.number().int(),
    excludeCredentials: z.array(credentialDescriptorSchema),
    authenticatorSelection: z.object({
      residentKey: z.literal("required"),
      requireResidentKey: z.literal(true),
      userVerification: z.literal("required"),
    }),
    attestation: z.literal("none"),
    hints: z.array(z.string()),
    extensions: z.object({ credProps: z.boolean() }),
  })
  .openapi("PasskeyCreationOptions", {
    description: "PublicKeyCredentialCreationOptionsJSON: pass it to navigator.credentials.create() (after parsing).",
  });

const USER_ONLY =
  "Only a portal user session has passkeys (or, to register one, an MFA enrolment token); API keys and their tokens have none.";
const userSessionOnly = (c: AppContext) => {
  const principal = c.var.principal;
  if ((principal.kind !== "user_session" && principal.kind !== "mfa_enrollment") || !principal.userId)
    throw new ProblemError(403, "user-session-required", "User session required", USER_ONLY);
  return { customerId: principal.customerId, userId: principal.userId };
};

const optionsRoute = secured(
  "authenticated",
  {
    method: "post",
    path: "/v1/me/passkeys/options",
    operationId: "createPasskeyRegistrationOptions",
    tags: ["auth"],
    summary: "Options to register a passkey (navigator.credentials.create)",
    description:
      `A discoverable credential with user verification, ES256 or RS256, no attestation. The challenge is valid ` +
      `${CHALLENGE_TTL_SECONDS} s and once. ${USER_ONLY}`,
    responses: { 200: jsonResponse(creationOptionsSchema, "Creation options"), ...problemResponses(401, 403) },
  },
  { enrollment: true },
);

const createRoute = secured(
  "authenticated",
  {
    method: "post",
    path: "/v1/me/passkeys",
    operationId: "createPasskey",
    tags: ["auth"],
    summary: "Register a passkey from the authenticator's response",
    description:
      "Verifies the response to the options (challenge, origin, RP ID, user verification, signature of a " +
      "`none` attestation) and stores the credential. You are emailed. A failed check is a 422 on `body.response`.",
    request: {
      body: {
        content: jsonContent(
          z
            .strictObject({
              name: text({ min: 1, max: 100 }).optional().openapi({ example: "MacBook Touch ID" }),
              response: registrationResponseSchema,
            })
            .openapi("PasskeyRegistration"),
        ),
        required: true,
      },
    },
    responses: {
      201: jsonResponse(
        passkeySchema
          .extend({
            session: z
              .union([loginResultSchema, browserLoginResultSchema])
              .optional()
              .openapi({ description: "Registered with an MFA enrolment token: the session that enrolment opens" }),
          })
          .openapi("RegisteredPasskey"),
        "The passkey",
      ),
      ...problemResponses(401, 403, 409, 422),
    },
  },
  { enrollment: true },
);

const listRoute = secured("authenticated", {
  method: "get",
  path: "/v1/me/passkeys",
  operationId: "listMyPasskeys",
  tags: ["auth"],
  summary: "Your passkeys",
  description: `Oldest first. ${USER_ONLY}`,
  responses: {
    200: jsonResponse(z.object({ data: z.array(passkeySchema) }).openapi("PasskeyList"), "Your passkeys"),
    ...problemResponses(401, 403),
  },
});

const deleteRoute = secured("authenticated", {
  method: "delete",
  path: "/v1/me/passkeys/{id}",
  operationId: "deleteMyPasskey",
  tags: ["auth"],
  summary: "Delete one of your passkeys",
  description: "It stops signing you in at once. You are emailed.",
  request: { params: z.object({ id: z.string().uuid() }) },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404) },
});

type PasskeyRow = typeof userPasskeys.$inferSelect;
const present = (row: PasskeyRow) => ({
  object: "passkey" as const,
  id: row.id,
  name: row.name,
  credential_id: toBase64Url(row.credentialId),
  transports: row.transports,
  device_type: row.deviceType,
  backed_up: row.backedUp,
  created_at: row.createdAt.toISOString(),
  last_used_at: row.lastUsedAt?.toISOString() ?? null,
});

const mine = (me: { customerId: string; userId: string }) =>
  and(eq(userPasskeys.customerId, me.customerId), eq(userPasskeys.userId, me.userId));

export const passkeyRoutes = new OpenAPIHono<AppEnv>()
  .openapi(optionsRoute, async (c) => {
    const me = userSessionOnly(c);
    const { user, passkeys } = await readAs(c, async (db) => ({
      user: (await db.select({ email: users.email, name: users.name }).from(users).where(eq(users.id, me.userId)))[0],
      passkeys: await db
        .select({ credentialId: userPasskeys.credentialId, transports: userPasskeys.transports })
        .from(userPasskeys)
        .where(mine(me)),
    }));
    if (!user)
      throw new ProblemError(401, "unauthorized", "Unauthorized", "The user behind this session no longer exists.");
    const rp = relyingParty(c.env);
    const options = {
      rp: { id: rp.id, name: "SecureBase" },
      user: { id: await userHandle(me.customerId, me.userId), name: user.email, displayName: user.name },
      challenge: await issueChallenge(c, "register", me),
      pubKeyCredParams: PASSKEY_ALGORITHMS.map((alg) => ({ type: "public-key" as const, alg })),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      excludeCredentials: passkeys.map((p) => ({
        id: toBase64Url(p.credentialId),
        type: "public-key" as const,
        transports: p.transports,
      })),
      authenticatorSelection: {
        residentKey: "required" as const,
        requireResidentKey: true as const,
        userVerification: "required" as const,
      },
      attestation: "none" as const,
      hints: [],
      extensions: { credProps: true },
    } satisfies PublicKeyCredentialCreationOptionsJSON;
    return c.json(options, 200);
  })
  .openapi(createRoute, async (c) => {
    const me = userSessionOnly(c);
    const { name, response } = c.req.valid("json");
    const challenge = clientChallenge(response.response.clientDataJSON);
    const claims = await readChallenge(c, "register", challenge);
    if (!claims || claims.uid !== me.userId || claims.cid !== me.customerId)
      throw passkeyRefused("does not answer a live registration challenge of this user");
    const rp = relyingParty(c.env);
    // Loaded on first use: the library is large and only these routes need it (BENCHMARKS.md).
    const { verifyRegistrationResponse } = await import("@simplewebauthn/server");
    const verified = await verifyRegistrationResponse({
      response: response as Parameters<typeof verifyRegistrationResponse>[0]["response"],
      expectedChallenge: challenge!,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: [...PASSKEY_ALGORITHMS],
    }).catch((error: unknown) => {
      throw passkeyRefused(`failed verification: ${error instanceof Error ? error.message : "invalid"}`);
    });
    if (!verified.verified) throw passkeyRefused("failed verification");
    if (!(await useChallengeOnce(c.var.db, claims))) throw passkeyRefused("answers a challenge that was already used");
    const info = verified.registrationInfo;
    const store = async (db: Database, audit: Audit, emit: Emit) => {
      const [user] = await db.select({ email: users.email }).from(users).where(eq(users.id, me.userId));
      const [created] = await db
        .insert(userPasskeys)
        .values({
          customerId: me.customerId,
          userId: me.userId,
          credentialId: fromBase64(info.credential.id),
          publicKey: new Uint8Array(info.credential.publicKey),
          counter: info.credential.counter,
          transports: info.credential.transports ?? response.response.transports ?? [],
          name: name ?? "Passkey",
          backedUp: info.credentialBackedUp,
          deviceType: info.credentialDeviceType,
        })
        .returning();
      const payload = {
        user_id: me.userId,
        email: user!.email,
        passkey_id: created!.id,
        name: created!.name,
        at: created!.createdAt.toISOString(),
      };
      await emit("user.passkey_registered", payload);
      await audit({
        action: "passkey.registered",
        resourceType: "passkey",
        resourceId: created!.id,
        summary: `${user!.email} registered the passkey '${created!.name}'`,
        data: { device_type: created!.deviceType, backed_up: created!.backedUp, aaguid: info.aaguid },
      });
      return created!;
    };
    const duplicate = (error: unknown) => {
      if (isUniqueViolation(error))
        throw new ProblemError(409, "passkey-exists", "Passkey exists", "This credential is already registered.");
      throw error;
    };
    const principal = c.var.principal;
    if (principal.kind === "mfa_enrollment") {
      // A member enrolling: the passkey, the session and the used-up grant commit together.
      let row: Awaited<ReturnType<typeof store>> | undefined;
      const session = await finishEnrollment(c, principal, {
        summary: "Signed in after registering a passkey",
        method: "passkey",
        store: async (db, audit, emit) => {
          row = await store(db, audit, emit);
        },
      }).catch(duplicate);
      return c.json({ ...present(row!), session: await answerSignIn(c, session) }, 201);
    }
    const row = await writeAs(c, store).catch(duplicate);
    return c.json(present(row), 201);
  })
  .openapi(listRoute, async (c) => {
    const me = userSessionOnly(c);
    const rows = await readAs(c, (db) => db.select().from(userPasskeys).where(mine(me)).orderBy(asc(userPasskeys.id)));
    return c.json({ data: rows.map(present) }, 200);
  })
  .openapi(deleteRoute, async (c) => {
    const me = userSessionOnly(c);
    const { id } = c.req.valid("param");
    await writeAs(c, async (db, audit, emit) => {
      const [deleted] = await db
        .delete(userPasskeys)
        .where(and(mine(me), eq(userPasskeys.id, id)))
        .returning({ id: userPasskeys.id, name: userPasskeys.name });
      if (!deleted) throw notFound("passkey", id);
      const [user] = await db.select({ email: users.email }).from(users).where(eq(users.id, me.userId));
      await emit("user.passkey_deleted", {
        user_id: me.userId,
        email: user!.email,
        passkey_id: id,
        name: deleted.name,
        at: new Date().toISOString(),
      });
      await audit({
        action: "passkey.deleted",
        resourceType: "passkey",
        resourceId: id,
        summary: `${user!.email} deleted the passkey '${deleted.name}'`,
      });
    });
    return c.body(null, 204);
  });
