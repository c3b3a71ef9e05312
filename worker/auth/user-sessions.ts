// Starting a portal user's session, the same way for a password login and an accepted invite:
// a user_sessions row written in the caller's write transaction (so it commits with the login's
// audit event), then a session token for the principal it stands for.
import { userSessions, type Role } from "../../db/schema.ts";
import { clientIp } from "../http/client-ip.ts";
import type { AppContext } from "../http/context.ts";
import type { Database } from "../platform/database.ts";
import { rolePermissions } from "./permissions.ts";
import type { Principal } from "./principal.ts";
import { issueSessionToken, USER_SESSION_IDLE_SECONDS } from "./session-token.ts";

/** Inserts the session row for this request's client; returns its id. */
export async function insertUserSession(
  c: AppContext,
  db: Database,
  session: { customerId: string; userId: string; expiresAt: Date },
): Promise<string> {
  const [row] = await db
    .insert(userSessions)
    .values({
      ...session,
      ip: clientIp(c),
      userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
    })
    .returning({ id: userSessions.id });
  return row!.id;
}

/** The signed token of a committed session. */
export function userSessionToken(
  c: AppContext,
  session: {
    customerId: string;
    userId: string;
    sessionId: string;
    role: Role;
    superAdmin: boolean;
    tier: Principal["tier"];
    rateLimitPerMinute: number;
    dataJurisdiction: Principal["dataJurisdiction"];
    expiresAt: Date;
    /** The customer's idle timeout; the token lives this long unless renewed by use. */
    idleSeconds?: number;
  },
): Promise<{ token: string; expiresIn: number }> {
  const idleSeconds = session.idleSeconds ?? USER_SESSION_IDLE_SECONDS;
  const principal: Principal = {
    kind: "user_session",
    customerId: session.customerId,
    keyId: null,
    userId: session.userId,
    sessionId: session.sessionId,
    role: session.role,
    superAdmin: session.superAdmin,
    mode: "live",
    tier: session.tier,
    scopes: [...rolePermissions[session.role]],
    rateLimitPerMinute: session.rateLimitPerMinute,
    dataJurisdiction: session.dataJurisdiction,
    expiresAt: session.expiresAt.getTime(),
    sessionEndsAt: session.expiresAt.getTime(),
    idleSeconds,
  };
  return issueSessionToken(c.env.SESSION_SIGNING_KEYS, principal, idleSeconds);
}
