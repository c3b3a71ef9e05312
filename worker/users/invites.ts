// Invites: an admin invites an email address with a role; the invitee accepts with the emailed
// single-use token (7 days), which creates their user and signs them in.
import { and, desc, eq, gt, gte, isNotNull, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import { customers, tierFeatures, userInvites, users, type Role } from "../../db/schema.ts";
import { hashPassword } from "../auth/passwords.ts";
import { checkPassword } from "../auth/password-rules.ts";
import { securityPolicyOf } from "../auth/security-policy.ts";
import { enrollmentToken, sessionEnd } from "../auth/sign-in.ts";
import { insertUserSession, userSessionToken } from "../auth/user-sessions.ts";
import type { AppContext } from "../http/context.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import { notFound, ProblemError } from "../http/problem.ts";
import type { Database } from "../platform/database.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { Emit } from "../events/outbox.ts";
import { writeAs, type Audit } from "../http/transactions.ts";
import { toHex } from "../platform/encoding.ts";
import { hashInviteToken, newInviteToken } from "./invite-token.ts";
import type { InviteRow, InviteStatus, UserRow } from "./schemas.ts";

/** The unique index a Postgres unique violation (23505) hit, if `error` is one (drizzle wraps it). */
export function uniqueViolation(error: unknown): string | undefined {
  for (let e = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const { code, constraint } = e as { code?: unknown; constraint?: unknown };
    if (code === "23505") return typeof constraint === "string" ? constraint : "";
  }
  return undefined;
}

const conflict = (slug: string, title: string, detail: string) => new ProblemError(409, slug, title, detail);

/**
 * The one answer to every failed acceptance: unknown, used, revoked or expired token, inactive
 * customer, or an address that has an account by now (in any tenant: telling them apart would
 * reveal accounts elsewhere).
 */
export const inviteInvalid = () =>
  new ProblemError(
    404,
    "invite-invalid",
    "Invite not valid",
    "This invite cannot be accepted: it is invalid, expired or already used, or its address already has an account (sign in instead).",
  );

/** SQL for each computed status; must agree with inviteStatus() in schemas.ts. */
function statusCondition(status: InviteStatus): SQL | undefined {
  const i = userInvites;
  switch (status) {
    case "accepted":
      return isNotNull(i.acceptedAt);
    case "pending":
      return and(isNull(i.acceptedAt), isNull(i.revokedAt), gt(i.expiresAt, sql`now()`));
    case "revoked":
      return and(isNull(i.acceptedAt), isNotNull(i.revokedAt), lt(i.revokedAt, i.expiresAt));
    case "expired":
      return and(
        isNull(i.acceptedAt),
        lte(i.expiresAt, sql`now()`),
        or(isNull(i.revokedAt), gte(i.revokedAt, i.expiresAt)),
      );
  }
}

export async function listInvites(
  db: Database,
  customerId: string,
  query: PaginationQuery & { status?: InviteStatus },
): Promise<InviteRow[]> {
  return db
    .select()
    .from(userInvites)
    .where(
      and(
        eq(userInvites.customerId, customerId),
        query.status ? statusCondition(query.status) : undefined,
        afterCursor(userInvites.id, query),
      ),
    )
    .orderBy(desc(userInvites.id))
    .limit(query.limit + 1);
}

/**
 * Creates a pending invite and queues its email. Emails are unique platform-wide, but only the
 * caller's own users are checked here: looking across tenants would tell any admin whether an
 * address has an account elsewhere. Such an invite fails at acceptance (the generic 404). The
 * token leaves only in the invitee's email: the inviter never sees it.
 */
export async function createInvite(
  db: Database,
  audit: Audit,
  emit: Emit,
  caller: { customerId: string; userId: string | null },
  input: { email: string; role: Role },
): Promise<InviteRow> {
  const { customerId } = caller;
  const email = input.email.toLowerCase();
  const [existing] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.customerId, customerId), eq(users.email, email)));
  if (existing) throw conflict("user-exists", "User exists", `A user with the email ${email} already exists.`);

  // An expired invite still holds the one-pending-invite-per-address slot
  // (user_invites_pending_key); a new invite supersedes it (it keeps reading as expired).
  const superseded = await db
    .update(userInvites)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        eq(userInvites.customerId, customerId),
        eq(userInvites.email, email),
        isNull(userInvites.acceptedAt),
        isNull(userInvites.revokedAt),
        lte(userInvites.expiresAt, sql`now()`),
      ),
    )
    .returning({ id: userInvites.id });

  const { token, tokenHash, expiresAt } = await newInviteToken();
  let invite: InviteRow;
  try {
    [invite] = (await db
      .insert(userInvites)
      .values({ customerId, email, role: input.role, tokenHash, invitedBy: caller.userId, expiresAt })
      .returning()) as [InviteRow];
  } catch (error) {
    if (uniqueViolation(error) !== undefined) {
      throw conflict(
        "invite-pending",
        "Invite pending",
        `A pending invite for ${email} exists; revoke it before inviting again.`,
      );
    }
    throw error;
  }

  // The email goes out through the outbox; the accept token travels sealed (never readable at
  // rest) and only to the invitee's email, never to webhooks.
  await emit(
    "user.invited",
    { invite_id: invite.id, email, role: invite.role, expires_at: invite.expiresAt.toISOString() },
    { secrets: { token } },
  );
  await audit({
    action: "user.invited",
    resourceType: "user_invite",
    resourceId: invite.id,
    summary: `${email} invited as ${invite.role}`,
    data: {
      email,
      role: invite.role,
      expires_at: invite.expiresAt.toISOString(),
      superseded_invite_ids: superseded.map((s) => s.id),
    },
  });
  return invite;
}

/** Revokes a pending (or expired) invite; revoking a revoked invite changes nothing. */
export async function revokeInvite(db: Database, audit: Audit, customerId: string, id: string): Promise<InviteRow> {
  const where = and(eq(userInvites.customerId, customerId), eq(userInvites.id, id));
  const [revoked] = await db
    .update(userInvites)
    .set({ revokedAt: sql`now()` })
    .where(and(where, isNull(userInvites.acceptedAt), isNull(userInvites.revokedAt)))
    .returning();
  if (revoked) {
    await audit({
      action: "user.invite_revoked",
      resourceType: "user_invite",
      resourceId: id,
      summary: `Invite for ${revoked.email} revoked`,
      data: { email: revoked.email, role: revoked.role },
    });
    return revoked;
  }
  const [row] = await db.select().from(userInvites).where(where);
  if (!row) throw notFound("invite", id);
  if (row.acceptedAt)
    throw conflict(
      "invite-accepted",
      "Invite accepted",
      "This invite was already accepted; deactivate the user instead.",
    );
  return row;
}

interface FoundInvite extends Record<string, unknown> {
  invite_id: string;
  customer_id: string;
  email: string;
  role: Role;
  customer_status: string;
}

export type AcceptedInvite =
  | { user: UserRow; sessionId: string; token: string; expiresIn: number; enrollmentToken?: undefined }
  /** The customer requires MFA: no session yet, an enrolment grant instead (docs/auth.md, "Enrolment"). */
  | { user: UserRow; enrollmentToken: string };

/**
 * Public: turns a valid invite token into a user with the invited role and a signed-in session.
 * The invite is claimed (UPDATE … WHERE still pending) before the user is inserted, so of two
 * racing accepts the second waits on the invite row and then finds it used (404), and a failed
 * insert (email taken) rolls the claim back.
 */
export async function acceptInvite(
  c: AppContext,
  input: { token: string; name: string; password: string },
): Promise<AcceptedInvite> {
  const [invite] = await c.var.db.system<FoundInvite>("SELECT * FROM app.find_invite(decode($1, 'hex'))", [
    toHex(await hashInviteToken(input.token)),
  ]);
  if (invite?.customer_status !== "active") throw inviteInvalid();
  checkPassword("password", input.password, invite.email);
  const passwordHash = await hashPassword(input.password);

  const customerId = invite.customer_id;
  const userId = uuidv7();
  const created = await writeAs(
    c,
    async (db, audit) => {
      const [claimed] = await db
        .update(userInvites)
        .set({ acceptedAt: sql`now()` })
        .where(
          and(
            eq(userInvites.customerId, customerId),
            eq(userInvites.id, invite.invite_id),
            isNull(userInvites.acceptedAt),
            isNull(userInvites.revokedAt),
            gt(userInvites.expiresAt, sql`now()`),
          ),
        )
        .returning({ id: userInvites.id });
      if (!claimed) throw inviteInvalid();

      let user: UserRow;
      try {
        [user] = (await db
          .insert(users)
          .values({
            id: userId,
            customerId,
            email: invite.email,
            name: input.name,
            role: invite.role,
            passwordHash,
            lastLoginAt: new Date(),
          })
          .returning()) as [UserRow];
      } catch (error) {
        if (uniqueViolation(error) !== undefined) throw inviteInvalid();
        throw error;
      }
      const policy = await securityPolicyOf(db, customerId);
      const expiresAt = sessionEnd(policy);
      // A new member has no second factor yet: where one is required, they enrol before any session.
      const sessionId = policy.mfaRequired ? null : await insertUserSession(c, db, { customerId, userId, expiresAt });
      const [plan] = await db
        .select({
          tier: customers.tier,
          status: customers.status,
          rateLimit: tierFeatures.apiRateLimitPerMinute,
          jurisdiction: customers.dataJurisdiction,
        })
        .from(customers)
        .innerJoin(tierFeatures, eq(tierFeatures.tier, customers.tier))
        .where(eq(customers.id, customerId));
      if (plan?.status !== "active") throw inviteInvalid();
      await audit({
        action: "user.invite_accepted",
        resourceType: "user",
        resourceId: userId,
        summary: `${invite.email} accepted the invite and joined as ${invite.role}`,
        data: { invite_id: invite.invite_id, email: invite.email, role: invite.role, session_id: sessionId },
      });
      return { user, sessionId, plan, expiresAt };
    },
    { context: { customerId, userId, role: invite.role }, actor: { type: "user", id: userId } },
  );

  if (created.sessionId === null) {
    const grantee = {
      user_id: userId,
      customer_id: customerId,
      role: invite.role,
      platform_role: null,
      tier: created.plan.tier,
      rate_limit_per_minute: created.plan.rateLimit,
      data_jurisdiction: created.plan.jurisdiction,
    };
    return { user: created.user, enrollmentToken: await enrollmentToken(c, grantee) };
  }
  const { token, expiresIn } = await userSessionToken(c, {
    customerId,
    userId,
    sessionId: created.sessionId,
    role: invite.role,
    superAdmin: false,
    tier: created.plan.tier,
    rateLimitPerMinute: created.plan.rateLimit,
    dataJurisdiction: created.plan.jurisdiction,
    expiresAt: created.expiresAt,
  });
  return { user: created.user, sessionId: created.sessionId, token, expiresIn };
}
