// What each event tells people: who hears about it (roles, or the one address its payload names), in which category,
// whether its email is on by default or cannot be switched off, and the words. Events not listed
// notify nobody (they still go to webhooks). `webhook.delivery.dead` and
// `webhook.endpoint.failing` are notifications only: telling a failing endpoint about itself
// would be pointless.
import type { NotificationCategory, Role } from "../../db/schema.ts";
import { formatCents } from "../platform/money.ts";

export interface Rendered {
  title: string;
  text: string;
}
export interface RenderContext {
  /** Public base URL of the API (document downloads). */
  apiUrl: string;
  /** Base URL of the portal (worker/platform/portal-links.ts): every "go and look" link points there. */
  portalUrl: string;
  /** Secrets sealed with the event (only at email send time). */
  secrets: Record<string, string>;
}

type Data = Record<string, unknown>;
// New invites seal the bare token (the link is built here, with the portal's address); rows sealed
// before that carry a whole accept_url.
const inviteLink = (portalUrl: string, secrets: Record<string, string>) =>
  secrets.token
    ? `${portalUrl}/accept-invite?token=${encodeURIComponent(secrets.token)}`
    : (secrets.accept_url ?? "(link unavailable)");
const s = (value: unknown) => String(value ?? "");
// Money as every document writes it (worker/platform/money.ts): "$2,219.40".
const dollars = (cents: unknown) => formatCents(Number(cents));

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
    render: (d, { portalUrl, secrets }) => ({
      title: `You are invited to ${d.customer_name ? s(d.customer_name) : "SecureBase"}`,
      text:
        `You have been invited to the SecureBase portal as ${s(d.role)}.\n\n` +
        `Accept the invitation (valid until ${s(d.expires_at)}):\n${inviteLink(portalUrl, secrets)}\n`,
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
  "user.new_device_sign_in": {
    category: "security",
    audience: "addressee",
    email: "mandatory",
    render: (d) => ({
      title: "New sign-in to your SecureBase account",
      text:
        `Your SecureBase portal account ${s(d.email)} was signed in to at ${s(d.signed_in_at)} from a device ` +
        `it had not used before (IP ${s(d.ip) || "unknown"}, ${s(d.user_agent) || "unknown browser"}).\n\n` +
        "If this was you, there is nothing to do. If not, change your password at once, end the session under " +
        "Team > Sessions, and tell your administrator.\n",
    }),
  },
  "user.password_reset_requested": {
    category: "security",
    audience: "addressee",
    email: "mandatory",
    render: (d, { portalUrl, secrets }) => ({
      title: "Reset your SecureBase password",
      text:
        `Someone (hopefully you) asked to reset the password of your SecureBase portal account ${s(d.email)}.\n\n` +
        `Choose a new password here (valid until ${s(d.expires_at)}, once; any earlier link no longer works):\n` +
        `${secrets.token ? `${portalUrl}/reset-password?token=${encodeURIComponent(secrets.token)}` : "(link unavailable)"}\n\n` +
        "If you did not ask, ignore this email: your password stays as it is.\n",
    }),
  },
  "user.passkey_registered": {
    category: "security",
    audience: "addressee",
    email: "mandatory",
    render: (d) => ({
      title: "A passkey was added to your SecureBase account",
      text:
        `The passkey '${s(d.name)}' was added to your SecureBase portal account ${s(d.email)} at ${s(d.at)}; ` +
        "it can sign you in without a password.\n\n" +
        "If this was not you, delete it under your passkeys, change your password and tell your administrator.\n",
    }),
  },
  "user.passkey_deleted": {
    category: "security",
    audience: "addressee",
    email: "mandatory",
    render: (d) => ({
      title: "A passkey was removed from your SecureBase account",
      text:
        `The passkey '${s(d.name)}' was removed from your SecureBase portal account ${s(d.email)} at ${s(d.at)} ` +
        "and no longer signs you in.\n\nIf this was not you, change your password and tell your administrator.\n",
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
    render: (d, { apiUrl, portalUrl }) => ({
      title: `Invoice ${s(d.number)}: ${dollars(d.total_cents)}`,
      text:
        `Invoice ${s(d.number)} for ${s(d.period_start)} to ${s(d.period_end)} totals ${dollars(d.total_cents)} (${s(d.currency).toUpperCase()}).\n\n` +
        `View it: ${portalUrl}/invoices/${s(d.id)}\nDownload the PDF: ${apiUrl}/v1/invoices/${s(d.id)}.pdf\n`,
    }),
  },
  "invoice.paid": {
    category: "billing",
    audience: ["admin", "billing"],
    email: "default_on",
    render: (d, { portalUrl }) => ({
      title: `Invoice ${s(d.number)} is paid`,
      text:
        `Invoice ${s(d.number)} (${formatCents(Number(d.total_cents))}) was paid in full on ${s(d.paid_at)}. Thank you.\n\n` +
        `View it: ${portalUrl}/invoices/${s(d.id)}\n`,
    }),
  },
  "invoice.voided": {
    category: "billing",
    audience: ["admin", "billing"],
    email: "default_on",
    render: (d, { portalUrl }) => ({
      title: `Invoice ${s(d.number)} was voided`,
      text: `Invoice ${s(d.number)} (${formatCents(Number(d.total_cents))}) was voided: ${s(d.reason)}. Nothing is due on it.\n\nView it: ${portalUrl}/invoices/${s(d.id)}\n`,
    }),
  },
  "invoice.marked_uncollectible": {
    category: "billing",
    audience: ["admin", "billing"],
    email: "default_on",
    render: (d, { portalUrl }) => ({
      title: `Invoice ${s(d.number)} is overdue and marked uncollectible`,
      text: `Invoice ${s(d.number)} was marked uncollectible (${s(d.reason)}); ${formatCents(Number(d.amount_due_cents))} is still due. Please contact billing.\n\nView it: ${portalUrl}/invoices/${s(d.id)}\n`,
    }),
  },
  "credit_note.created": {
    category: "billing",
    audience: ["admin", "billing"],
    email: "default_on",
    render: (d, { apiUrl }) => ({
      title: `Credit note ${s(d.number)}: ${formatCents(Number(d.amount_cents))}`,
      text:
        `Credit note ${s(d.number)} credits ${formatCents(Number(d.amount_cents))} on invoice ${s(d.invoice_number)} (${s(d.reason)}).` +
        (Number(d.to_balance_cents) > 0
          ? ` ${formatCents(Number(d.to_balance_cents))} is kept as credit for your next invoice.`
          : "") +
        `\n\nView it: ${apiUrl}/v1/credit-notes/${s(d.id)}.html\n`,
    }),
  },
  "export.ready": {
    category: "security",
    audience: ["admin"],
    email: "mandatory",
    render: (d, { apiUrl }) => ({
      title: "Your data export is ready",
      text:
        `The export of your SecureBase data you requested (${s(d.export_id)}) is ready: ${s(d.tables)} tables, ${s(d.rows)} rows.\n\n` +
        `Download it until ${s(d.expires_at)} (sign in as an admin): ${apiUrl}/v1/exports/${s(d.export_id)}\n`,
    }),
  },
  "cost.budget_exceeded": {
    category: "cost_alerts",
    audience: ["admin", "billing"],
    email: "default_on",
    render: (d, { portalUrl }) => {
      const what = d.basis === "forecast" ? "The forecast of this month's cost" : "This month's cost so far";
      return {
        title: `Budget: ${s(d.threshold_percent)} % reached${d.basis === "forecast" ? " (forecast)" : ""}`,
        text: `${what} (${s(d.month).slice(0, 7)}) is ${dollars(d.amount_cents)}, ${s(d.percent_of_budget)} % of your monthly budget of ${dollars(d.budget_cents)}.\n\nSee the forecast: ${portalUrl}/overview\n`,
      };
    },
  },
  "webhook.endpoint.disabled": {
    category: "webhooks",
    audience: ["admin", "developer"],
    email: "default_on",
    render: (d, { portalUrl }) => ({
      title: `Webhook endpoint disabled: ${s(d.url)}`,
      text:
        (d.reason === "gone"
          ? `The endpoint ${s(d.url)} answered 410 Gone, so it was disabled. Enable it again when it is back.`
          : `Deliveries to ${s(d.url)} have failed continuously since ${s(d.failing_since)}, so the endpoint was disabled. Fix it, enable it, then recover missed events.`) +
        `\n\nManage it: ${portalUrl}/webhooks/endpoints/${s(d.endpoint_id)}\n`,
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
    render: (d, { portalUrl }) => ({
      title:
        d.author_type === "staff" ? "SecureBase support replied to your ticket" : "New comment on a support ticket",
      text: `${s(d.excerpt)}\n\nRead the conversation: ${portalUrl}/support/tickets/${s(d.ticket_id)}\n`,
    }),
  },
  "ticket.sla_breached": {
    category: "support",
    audience: ["admin", "support"],
    email: "default_on",
    render: (d, { portalUrl }) => ({
      title: `Support SLA missed (${s(d.priority)} ticket)`,
      text: `The ${d.clock === "first_response" ? "first-response" : "resolution"} deadline of ticket ${s(d.id)} (${s(d.due_at)}) passed. SecureBase support has been alerted.\n\nSee it: ${portalUrl}/support/tickets/${s(d.id)}\n`,
    }),
  },
  // SecureBase staff only (worker/notifications/staff.ts addresses them; no customer sees these).
  "staff.ticket_created": {
    category: "support",
    audience: "addressee",
    email: "mandatory",
    render: (d, { portalUrl }) => ({
      title: `New ${s(d.priority)} support ticket from ${s(d.customer_name)}: ${s(d.subject)}`,
      text: `${s(d.customer_name)} opened ticket ${s(d.id)} (${s(d.priority)}). First response due ${s(d.first_response_due_at)}.\n\nOpen it: ${portalUrl}/staff/tickets/${s(d.id)}\n`,
    }),
  },
  "platform.alert_opened": {
    category: "notifications",
    audience: "addressee",
    email: "mandatory",
    render: (d) => ({
      title: `[SecureBase alert] ${s(d.rule)}: ${s(d.summary)}`,
      text: `Alert ${s(d.rule)} (${s(d.key)}) opened at ${s(d.opened_at)}.\n\n${s(d.summary)}\n\nRunbook: ${s(d.runbook)}\nIncident: ${s(d.incident_id)}\n`,
    }),
  },
  "platform.alert_resolved": {
    category: "notifications",
    audience: "addressee",
    email: "mandatory",
    render: (d) => ({
      title: `[SecureBase resolved] ${s(d.rule)}: ${s(d.key)}`,
      text: `Alert ${s(d.rule)} (${s(d.key)}), open since ${s(d.opened_at)}, cleared at ${s(d.resolved_at)}.\n\nIt was: ${s(d.summary)}\nIncident: ${s(d.incident_id)}\n`,
    }),
  },
  // Dunning (worker/invoices/dunning.ts, docs/billing.md "Dunning"): the job puts the link in `url`
  // (the portal's invoice page, or the API's when there is no portal).
  "invoice.payment_overdue": {
    category: "billing",
    audience: ["admin", "billing"],
    email: "mandatory",
    render: (d) => ({
      title: `Invoice ${s(d.number)} is overdue: ${dollars(d.amount_due_cents)} due`,
      text:
        `Invoice ${s(d.number)} was due on ${s(d.due_at)} and ${dollars(d.amount_due_cents)} is still unpaid ` +
        `(${s(d.days_past_due)} days past due).\n\nView and pay it: ${s(d.url)}\n\n` +
        "If you have paid in the last few days, thank you; there is nothing more to do.\n",
    }),
  },
  // To each SecureBase staff member (super_admin) when dunning marks a customer past due.
  "customer.past_due": {
    category: "billing",
    audience: "addressee",
    email: "mandatory",
    render: (d) => ({
      title: `Customer ${s(d.customer_name)} is past due: ${dollars(d.amount_due_cents)}`,
      text:
        `${s(d.customer_name)} (${s(d.customer_id)}) has ${dollars(d.amount_due_cents)} due on invoices 30 or more days ` +
        `past their due date (${(d.invoice_numbers as string[] | undefined)?.join(", ") ?? ""}) and is now marked past due.\n`,
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
