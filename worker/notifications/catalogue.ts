// What each event tells people: who hears about it (roles, or the one address its payload names), in which category,
// whether its email is on by default or cannot be switched off, and the words. Events not listed
// notify nobody (they still go to webhooks). `webhook.delivery.dead` and
// `webhook.endpoint.failing` are notifications only: telling a failing endpoint about itself
// would be pointless.
import type { NotificationCategory, Role } from "../../db/schema.ts";

export interface Rendered {
  title: string;
  text: string;
}
export interface RenderContext {
  /** Public base URL of the API (links). */
  apiUrl: string;
  /** Secrets sealed with the event (only at email send time). */
  secrets: Record<string, string>;
}

type Data = Record<string, unknown>;
const s = (value: unknown) => String(value ?? "");
const dollars = (cents: unknown) => `$${(Number(cents) / 100).toFixed(2)}`;

const MFA_CHANGES: Record<string, string> = {
  totp_enrolled: "an authenticator app (TOTP) was set up as your second factor",
  totp_removed: "your authenticator app (TOTP) and recovery codes were removed",
  recovery_code_used: "a recovery code was used to sign in",
  factors_reset: "an administrator removed your second factors and signed you out",
};

export interface NotificationKind {
  category: NotificationCategory;
  /** Portal users with these roles, or the one address named in the payload's `email` (email only). */
  audience: readonly Role[] | "addressee";
  /** `mandatory`: security mail that cannot be switched off. */
  email: "default_on" | "default_off" | "mandatory";
  render: (data: Data, context: RenderContext) => Rendered;
}

export const notificationCatalogue = {
  "user.invited": {
    category: "security",
    audience: "addressee",
    email: "mandatory",
    render: (d, { secrets }) => ({
      title: `You are invited to ${d.customer_name ? s(d.customer_name) : "SecureBase"}`,
      text:
        `You have been invited to the SecureBase portal as ${s(d.role)}.\n\n` +
        `Accept the invitation (valid until ${s(d.expires_at)}):\n${secrets.accept_url ?? "(link unavailable)"}\n`,
    }),
  },
  "user.password_changed": {
    category: "security",
    audience: "addressee",
    email: "mandatory",
    render: (d) => ({
      title: "Your SecureBase password was changed",
      text:
        `The password of your SecureBase portal account ${s(d.email)} was ${d.method === "reset" ? "reset with an emailed link" : "changed"} at ${s(d.changed_at)}, ` +
        `and your ${d.method === "reset" ? "" : "other "}sessions were signed out.\n\n` +
        "If this was not you, reset your password at once and tell your administrator.\n",
    }),
  },
  "user.password_reset_requested": {
    category: "security",
    audience: "addressee",
    email: "mandatory",
    render: (d, { apiUrl, secrets }) => ({
      title: "Reset your SecureBase password",
      text:
        `Someone (hopefully you) asked to reset the password of your SecureBase portal account ${s(d.email)}.\n\n` +
        `Choose a new password here (valid until ${s(d.expires_at)}, once; any earlier link no longer works):\n` +
        `${secrets.token ? `${apiUrl}/portal/reset-password#token=${secrets.token}` : "(link unavailable)"}\n\n` +
        "If you did not ask, ignore this email: your password stays as it is.\n",
    }),
  },
  "user.mfa_changed": {
    category: "security",
    audience: "addressee",
    email: "mandatory",
    render: (d) => ({
      title: "Your SecureBase sign-in factors changed",
      text:
        `Your SecureBase portal account ${s(d.email)}: ${MFA_CHANGES[s(d.change)] ?? s(d.change)} at ${s(d.changed_at)}.\n\n` +
        "If this was not you, reset your password at once and tell your administrator.\n",
    }),
  },
  "api_key.created": {
    category: "security",
    audience: ["admin"],
    email: "default_on",
    render: (d) => ({
      title: `API key ${s(d.name)} created`,
      text: `A ${s(d.mode)} API key '${s(d.name)}' (${s(d.prefix)}…) was created with scopes ${(d.scopes as string[] | undefined)?.join(", ") ?? ""}.`,
    }),
  },
  "api_key.revoked": {
    category: "security",
    audience: ["admin"],
    email: "mandatory",
    render: (d) => ({
      title: `API key ${s(d.name)} revoked`,
      text: `The API key '${s(d.name)}' (${s(d.prefix)}…) was revoked and no longer works.`,
    }),
  },
  "invoice.created": {
    category: "billing",
    audience: ["admin", "billing"],
    email: "default_on",
    render: (d, { apiUrl }) => ({
      title: `Invoice ${s(d.number)}: ${dollars(d.total_cents)}`,
      text:
        `Invoice ${s(d.number)} for ${s(d.period_start)} to ${s(d.period_end)} totals ${dollars(d.total_cents)} (${s(d.currency).toUpperCase()}).\n\n` +
        `View it: ${apiUrl}/v1/invoices/${s(d.id)}.html\n`,
    }),
  },
  "cost.budget_exceeded": {
    category: "cost_alerts",
    audience: ["admin", "billing"],
    email: "default_on",
    render: (d) => {
      const what = d.basis === "forecast" ? "The forecast of this month's cost" : "This month's cost so far";
      return {
        title: `Budget: ${s(d.threshold_percent)} % reached${d.basis === "forecast" ? " (forecast)" : ""}`,
        text: `${what} (${s(d.month).slice(0, 7)}) is ${dollars(d.amount_cents)}, ${s(d.percent_of_budget)} % of your monthly budget of ${dollars(d.budget_cents)}.`,
      };
    },
  },
  "webhook.endpoint.disabled": {
    category: "webhooks",
    audience: ["admin", "developer"],
    email: "default_on",
    render: (d) => ({
      title: `Webhook endpoint disabled: ${s(d.url)}`,
      text:
        d.reason === "gone"
          ? `The endpoint ${s(d.url)} answered 410 Gone, so it was disabled. Enable it again when it is back.`
          : `Deliveries to ${s(d.url)} have failed continuously since ${s(d.failing_since)}, so the endpoint was disabled. Fix it, enable it, then recover missed events.`,
    }),
  },
  "webhook.endpoint.failing": {
    category: "webhooks",
    audience: ["admin", "developer"],
    email: "default_on",
    render: (d) => ({
      title: `Webhook endpoint failing: ${s(d.url)}`,
      text: `Deliveries to ${s(d.url)} have failed since ${s(d.failing_since)}. It will be disabled on ${s(d.disable_at)} unless a delivery succeeds.`,
    }),
  },
  "webhook.delivery.dead": {
    category: "webhooks",
    audience: ["admin", "developer"],
    email: "default_off",
    render: (d) => ({
      title: `Webhook delivery failed for good: ${s(d.event_type)}`,
      text: `Event ${s(d.event_id)} (${s(d.event_type)}) could not be delivered to ${s(d.url)} after ${s(d.attempts)} attempts. Retry it from the delivery log.`,
    }),
  },
  // Public comments only: an internal note emits no event, so it can never reach this.
  "ticket.comment.created": {
    category: "support",
    audience: ["admin", "support", "developer", "billing"],
    email: "default_on",
    render: (d, { apiUrl }) => ({
      title:
        d.author_type === "staff" ? "SecureBase support replied to your ticket" : "New comment on a support ticket",
      text: `${s(d.excerpt)}\n\nRead the conversation: ${apiUrl}/v1/support/tickets/${s(d.ticket_id)}/comments\n`,
    }),
  },
  "ticket.sla_breached": {
    category: "support",
    audience: ["admin", "support"],
    email: "default_on",
    render: (d) => ({
      title: `Support SLA missed (${s(d.priority)} ticket)`,
      text: `The ${d.clock === "first_response" ? "first-response" : "resolution"} deadline of ticket ${s(d.id)} (${s(d.due_at)}) passed. SecureBase support has been alerted.`,
    }),
  },
} as const satisfies Record<string, NotificationKind>;

export type NotificationType = keyof typeof notificationCatalogue;
export const notificationTypes = Object.keys(notificationCatalogue) as NotificationType[];

export function notificationKind(type: string): NotificationKind | undefined {
  return Object.hasOwn(notificationCatalogue, type) ? notificationCatalogue[type as NotificationType] : undefined;
}

/** Types a portal user can set preferences for (the invite email is not addressed to a user). */
export const userNotificationTypes = notificationTypes.filter((t) => notificationCatalogue[t].audience !== "addressee");
