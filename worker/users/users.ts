// Portal users of a customer: list, read, change name/role/status. Every query runs inside the
// caller's tenant transaction (RLS limits it to the caller's customer); the explicit customer
// filter stays so the planner uses the (customer_id, id) index.
import { and, asc, desc, eq, gt, isNull, sql } from "drizzle-orm";
import { apiKeys, users, userSessions, type Role } from "../../db/schema.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import { notFound, ProblemError } from "../http/problem.ts";
import type { Database } from "../platform/database.ts";
import type { Audit } from "../http/transactions.ts";
import type { UserRow } from "./schemas.ts";

export type UserStatus = UserRow["status"];

export async function listUsers(
  db: Database,
  customerId: string,
  query: PaginationQuery & { role?: Role; status?: UserStatus },
): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(
      and(
        eq(users.customerId, customerId),
        query.role ? eq(users.role, query.role) : undefined,
        query.status ? eq(users.status, query.status) : undefined,
        afterCursor(users.id, query),
      ),
    )
    .orderBy(desc(users.id))
    .limit(query.limit + 1);
}

export async function getUser(db: Database, customerId: string, id: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.customerId, customerId), eq(users.id, id)));
  return row;
}

export interface UserChanges {
  name?: string;
  role?: Role;
  status?: UserStatus;
}

/** Sessions ended by a change; the caller marks them revoked in KV after the commit. */
export interface EndedSession {
  id: string;
  expiresAt: Date;
}

const conflict = (slug: string, title: string, detail: string) => new ProblemError(409, slug, title, detail);

/**
 * Applies `changes` to a user of the caller's customer and audits them as `action`.
 *
 * Rules: nobody changes their own role or deactivates themselves; the customer never loses its
 * last active admin. The active admins are locked (in id order) before the target, so two
 * concurrent demotions serialise instead of both passing the count (or deadlocking).
 * A role change or a deactivation ends every open session of the user: their tokens carry the
 * old role's permissions, so they must sign in again. It also returns the API keys the user
 * created: Postgres bounds their scopes by the creator's role (app.resolve_api_key), and the
 * caller purges their cached principals so the new bound applies at once.
 */
export async function updateUser(
  db: Database,
  audit: Audit,
  caller: { customerId: string; userId: string | null },
  id: string,
  changes: UserChanges,
  action: "user.updated" | "user.deactivated",
): Promise<{ user: UserRow; endedSessions: EndedSession[]; createdKeys: { id: string; keyHash: Uint8Array }[] }> {
  const { customerId } = caller;
  const mayRemoveAdmin = (changes.role !== undefined && changes.role !== "admin") || changes.status === "deactivated";
  const activeAdmins = mayRemoveAdmin
    ? await db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.customerId, customerId), eq(users.role, "admin"), eq(users.status, "active")))
        .orderBy(asc(users.id))
        .for("update")
    : [];

  const [current] = await db
    .select()
    .from(users)
    .where(and(eq(users.customerId, customerId), eq(users.id, id)))
    .for("update");
  if (!current) throw notFound("user", id);

  const diff: UserChanges = {};
  if (changes.name !== undefined && changes.name !== current.name) diff.name = changes.name;
  if (changes.role !== undefined && changes.role !== current.role) diff.role = changes.role;
  if (changes.status !== undefined && changes.status !== current.status) diff.status = changes.status;
  if (Object.keys(diff).length === 0) return { user: current, endedSessions: [], createdKeys: [] };

  if (caller.userId === id && diff.role !== undefined) {
    throw conflict(
      "self-role-change",
      "Cannot change your own role",
      "You cannot change your own role; ask another admin.",
    );
  }
  if (caller.userId === id && diff.status === "deactivated") {
    throw conflict(
      "self-deactivation",
      "Cannot deactivate yourself",
      "You cannot deactivate your own user; ask another admin.",
    );
  }
  const losesAdmin =
    current.role === "admin" &&
    current.status === "active" &&
    ((diff.role !== undefined && diff.role !== "admin") || diff.status === "deactivated");
  if (losesAdmin && !activeAdmins.some((admin) => admin.id !== id)) {
    throw conflict(
      "last-admin",
      "Last admin",
      "This is the customer's last active admin; make another user admin first.",
    );
  }

  const [updated] = await db
    .update(users)
    .set({ ...diff, updatedAt: new Date() })
    .where(and(eq(users.customerId, customerId), eq(users.id, id)))
    .returning();

  const endsSessions = diff.status === "deactivated" || diff.role !== undefined;
  const endedSessions = endsSessions
    ? await db
        .update(userSessions)
        .set({ revokedAt: sql`now()` })
        .where(
          and(
            eq(userSessions.customerId, customerId),
            eq(userSessions.userId, id),
            isNull(userSessions.revokedAt),
            gt(userSessions.expiresAt, sql`now()`),
          ),
        )
        .returning({ id: userSessions.id, expiresAt: userSessions.expiresAt })
    : [];

  const createdKeys = endsSessions
    ? await db
        .select({ id: apiKeys.id, keyHash: apiKeys.keyHash })
        .from(apiKeys)
        // Keys of every chain this user started (0090: origin_user_id), directly created ones included.
        .where(and(eq(apiKeys.originUserId, id), isNull(apiKeys.revokedAt)))
    : [];

  const changed = Object.fromEntries(
    (Object.keys(diff) as (keyof UserChanges)[]).map((field) => [field, { from: current[field], to: diff[field] }]),
  );
  const verb = action === "user.deactivated" ? "deactivated" : `updated (${Object.keys(diff).join(", ")})`;
  await audit({
    action,
    resourceType: "user",
    resourceId: id,
    summary: `User ${current.email} ${verb}`,
    data: { changes: changed, ended_sessions: endedSessions.length },
  });
  return { user: updated!, endedSessions, createdKeys };
}
