// Invites: create, list, revoke (users:write / users:read), and the public acceptance.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { sessionAnswer, sessionModeQuery } from "../auth/browser-session.ts";
import type { AppEnv } from "../http/context.ts";
import { pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { problemResponses, rateLimited } from "../http/problem.ts";
import { open, secured } from "../http/routes.ts";
import { consumeRateLimit } from "../platform/rate-limit-client.ts";
import { clientIpBucket } from "../http/client-ip.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { enrollmentRequiredSchema } from "../auth/sign-in.ts";
import { acceptInvite, createInvite, listInvites, revokeInvite } from "./invites.ts";
import {
  acceptedInviteInBrowserSchema,
  acceptedInviteSchema,
  acceptInviteSchema,
  createInviteSchema,
  idParam,
  inviteSchema,
  toInvite,
  toUser,
  userSchema,
} from "./schemas.ts";

const createRoute = secured("users:write", {
  method: "post",
  path: "/v1/invites",
  operationId: "createInvite",
  tags: ["invites"],
  summary: "Invite someone to the customer's portal with a role",
  description:
    "Creates a pending invite and emails a link with a **single-use** token that **expires after 7 days**. " +
    "The token goes only to the invitee's email, never to the inviter; only its SHA-256 is stored. One pending invite per " +
    "address: revoke it to invite again (an expired one is replaced automatically). An address that already has " +
    "a user in this customer is a 409.",
  request: { body: { content: { "application/json": { schema: createInviteSchema } }, required: true } },
  responses: {
    201: {
      description: "The invite (its token is emailed)",
      content: { "application/json": { schema: inviteSchema } },
    },
    ...problemResponses(400, 401, 403, 409, 422),
  },
});

const listRoute = secured("users:read", {
  method: "get",
  path: "/v1/invites",
  operationId: "listInvites",
  tags: ["invites"],
  summary: "List the customer's invites, newest first",
  description: "Invites of your organization, newest first, with their state (pending, accepted, revoked, expired).",
  request: {
    query: paginationQuerySchema.extend({
      status: z
        .enum(["pending", "accepted", "revoked", "expired"])
        .optional()
        .openapi({
          param: { name: "status", in: "query" },
          description: "Only invites in this state",
          example: "pending",
        }),
    }),
  },
  responses: {
    200: {
      description: "A page of invites",
      content: { "application/json": { schema: pageSchema(inviteSchema, "InviteList") } },
    },
    ...problemResponses(400, 401, 403),
  },
});

const revokeRoute = secured("users:write", {
  method: "delete",
  path: "/v1/invites/{id}",
  operationId: "revokeInvite",
  tags: ["invites"],
  summary: "Revoke an invite (its token stops working)",
  description:
    "Revoking an already revoked invite changes nothing; an accepted invite is a 409 (deactivate the user instead).",
  request: { params: idParam },
  responses: {
    200: { description: "The revoked invite", content: { "application/json": { schema: inviteSchema } } },
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

const acceptRoute = open({
  method: "post",
  path: "/v1/invites/accept",
  operationId: "acceptInvite",
  tags: ["invites"],
  summary: "Accept an invite: create your user and sign in",
  description:
    "Public. Exchanges the emailed token for a user with the invited role and email, and returns a session token " +
    "(12 hours by default: the organization's session lifetime), like `POST /v1/auth/login`; if the organization " +
    "requires a second factor, a 200 with an enrolment grant instead of the session. A token works **once** and for **7 days**. Every failure — an unknown, " +
    "used, revoked or expired token, or an address that meanwhile has an account — is the same 404 `invite-invalid`. " +
    "Passwords: 12–256 characters, not the email address. " +
    "Throttled per IPv4 address or IPv6 /64 (30 per 15 min).",
  request: {
    query: sessionModeQuery,
    body: { content: { "application/json": { schema: acceptInviteSchema } }, required: true },
  },
  responses: {
    201: {
      description: "The new user, signed in (with `?session=cookie`: in a cookie, and the body has a `csrf_token`)",
      content: { "application/json": { schema: z.union([acceptedInviteSchema, acceptedInviteInBrowserSchema]) } },
    },
    200: {
      description:
        "The new user, not yet signed in: the organization requires a second factor, so the answer is an enrolment " +
        "grant (see MfaEnrollmentRequired and docs/auth.md)",
      content: {
        "application/json": {
          schema: enrollmentRequiredSchema.extend({ user: userSchema }).openapi("AcceptedInviteEnrollment"),
        },
      },
    },
    ...problemResponses(404, 422, 429),
  },
});

const ACCEPT_LIMIT = 30;
const ACCEPT_WINDOW_SECONDS = 15 * 60;

export const inviteRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const { customerId, userId } = c.var.principal;
    // The token is emailed to the invitee only (docs/auth.md, "Permissions"): whoever invites
    // must not be able to accept for the address.
    const invite = await writeAs(c, (db, audit, emit) => createInvite(db, audit, emit, { customerId, userId }, body));
    return c.json(toInvite(invite), 201);
  })
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const rows = await readAs(c, (db) => listInvites(db, c.var.principal.customerId, query));
    return c.json(
      pageOf(rows, query.limit, (row) => toInvite(row)),
      200,
    );
  })
  .openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await writeAs(c, (db, audit) => revokeInvite(db, audit, c.var.principal.customerId, id));
    return c.json(toInvite(row), 200);
  })
  .openapi(acceptRoute, async (c) => {
    const decision = await consumeRateLimit(
      c.env.RATE_LIMITER,
      `invite-accept:ip:${clientIpBucket(c)}`,
      ACCEPT_LIMIT,
      ACCEPT_WINDOW_SECONDS,
    );
    if (!decision.allowed) {
      throw rateLimited(decision, "Too many attempts");
    }
    const accepted = await acceptInvite(c, c.req.valid("json"));
    if (accepted.enrollmentToken !== undefined)
      return c.json(
        {
          user: toUser(accepted.user),
          mfa_enrollment_required: true as const,
          enrollment_token: accepted.enrollmentToken,
        },
        200,
      );
    const answer = await sessionAnswer(c, accepted);
    const rest = { user: toUser(accepted.user), customer_id: accepted.user.customerId, session_id: accepted.sessionId };
    return c.json({ ...answer, ...rest }, 201);
  });
