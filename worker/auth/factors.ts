// A user's second factors as a whole (docs/auth.md, "Second factors"): recording a change
// (audit event and the mandatory email), and an administrator's reset.
import type { Emit } from "../events/outbox.ts";
import type { Audit } from "../http/transactions.ts";
import type { Subject } from "./totp.ts";

/** Records a factor change: the audit event and the (mandatory) email to the user. */
export async function recordFactorChange(
  audit: Audit,
  emit: Emit,
  who: Subject & { email: string },
  change: "totp_enrolled" | "totp_removed" | "recovery_code_used" | "factors_reset",
  data: Record<string, unknown> = {},
): Promise<void> {
  const actions = {
    totp_enrolled: ["totp.enrolled", "set up an authenticator app"],
    totp_removed: ["totp.removed", "removed their authenticator app"],
    recovery_code_used: ["recovery_code.used", "used a recovery code"],
    factors_reset: ["mfa.reset", "had their second factors reset"],
  } as const;
  const [action, what] = actions[change];
  await emit("user.mfa_changed", {
    user_id: who.userId,
    email: who.email,
    change,
    changed_at: new Date().toISOString(),
  });
  await audit({ action, resourceType: "user", resourceId: who.userId, summary: `${who.email} ${what}`, data });
}
