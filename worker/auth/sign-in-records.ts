// What a sign-in leaves behind besides the session (docs/auth.md, "Sign-in records"): a failed
// attempt on a real account goes into that customer's audit trail (never the password), and a
// sign-in from a device the user never signed in from emails the user (mandatory security mail).
// Attempts on unknown addresses belong to no customer: they are in the request log only.
import type { Role } from "../../db/schema.ts";
import { clientIp } from "../http/client-ip.ts";
import type { AppContext } from "../http/context.ts";
import type { Emit } from "../events/outbox.ts";
import { writeAs } from "../http/transactions.ts";

export type FailedSignInReason = "wrong_password" | "wrong_code" | "user_inactive" | "customer_inactive";

interface Account {
  user_id: string;
  customer_id: string;
  role: Role;
  platform_role?: string | null;
}

/**
 * Audits a failed sign-in on an existing account. Bounded by the login throttle (10 failures per
 * account and window, plus 10 per known device), so an attacker cannot grow the trail at will.
 */
export async function recordFailedSignIn(
  c: AppContext,
  account: Account,
  address: string,
  reason: FailedSignInReason,
  method: "password" | "totp" | "recovery_code" | "passkey" = "password",
): Promise<void> {
  const superAdmin = account.platform_role === "super_admin";
  await writeAs(
    c,
    (_db, audit) =>
      audit({
        action: "user.login_failed",
        resourceType: "user",
        resourceId: account.user_id,
        summary: `Failed sign-in for ${address} (${reason.replace("_", " ")})`,
        data: { reason, method, ip: clientIp(c) },
      }),
    {
      // The account's own customer context; never staff powers for a failed attempt.
      context: { customerId: account.customer_id, userId: account.user_id, role: account.role, superAdmin: false },
      actor: { type: superAdmin ? "staff" : "user", id: account.user_id },
    },
  );
}

/** Inside the sign-in's write transaction: the "new device" email, when the client showed no device token. */
export async function noteNewDevice(
  c: AppContext,
  emit: Emit,
  signIn: { userId: string; email: string; sessionId: string; knownDevice: boolean },
): Promise<void> {
  if (signIn.knownDevice) return;
  await emit("user.new_device_sign_in", {
    user_id: signIn.userId,
    email: signIn.email,
    session_id: signIn.sessionId,
    ip: clientIp(c),
    user_agent: c.req.header("user-agent")?.slice(0, 256) ?? null,
    signed_in_at: new Date().toISOString(),
  });
}
