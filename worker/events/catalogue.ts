// The catalogue of events (docs/events-and-webhooks.md): every type the outbox may carry, with the zod schema of its
// payload (checked when it is emitted, and published as the OpenAPI document's `webhooks`), its
// notification category and a one-line description. Adding an event is one entry here.
import { z } from "@hono/zod-openapi";
import type { NotificationCategory } from "../../db/schema.ts";
import { budgetExceededSchema } from "./payloads/cost.ts";
import {
  creditNoteCreatedPayload,
  invoiceMarkedUncollectiblePayload,
  invoicePaidPayload,
  invoiceVoidedPayload,
} from "./payloads/invoices.ts";
import {
  ticketCommentCreatedPayload,
  ticketCreatedPayload,
  ticketSlaBreachedPayload,
  ticketUpdatedPayload,
} from "./payloads/support.ts";

const uuid = z.string().uuid();
const isoTime = z.string().datetime({ offset: true });

const apiKeyCreated = z.object({
  id: uuid,
  name: z.string(),
  mode: z.enum(["live", "test"]),
  scopes: z.array(z.string()),
  prefix: z.string().openapi({ description: "First 14 characters of the key (never the secret)" }),
  rotated_from: uuid.optional(),
});
const apiKeyRevoked = z.object({ id: uuid, name: z.string(), prefix: z.string() });
const apiKeyRotated = z.object({
  id: uuid.openapi({ description: "The old key" }),
  rotated_to: uuid,
  grace_period_seconds: z.number().int().min(0),
  expires_at: isoTime.nullable().openapi({ description: "When the old key stops working" }),
});
// The accept link is never part of the payload: it travels sealed to the invitee's email only.
const userInvited = z.object({
  invite_id: uuid,
  email: z.string().email(),
  role: z.enum(["admin", "billing", "support", "developer", "viewer"]),
  customer_name: z.string().optional(),
  expires_at: isoTime,
});
// Never the password, nor a reset link: only that it changed, and how.
const userPasswordChanged = z.object({
  user_id: uuid,
  email: z.string().email(),
  method: z
    .enum(["change", "reset"])
    .openapi({ description: "`change`: by the signed-in user; `reset`: by an emailed link" }),
  changed_at: isoTime,
});
// A sign-in from a client that showed no device token of this user (a new browser or machine).
const userNewDeviceSignIn = z.object({
  user_id: uuid,
  email: z.string().email(),
  session_id: uuid,
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  signed_in_at: isoTime,
});
// The reset link travels sealed to the user's email only, never in the payload.
const userPasswordResetRequested = z.object({ user_id: uuid, email: z.string().email(), expires_at: isoTime });
// Which passkey, never its key: the user is emailed so a passkey they did not add is noticed.
const userPasskeyChanged = z.object({
  user_id: uuid,
  email: z.string().email(),
  passkey_id: uuid,
  name: z.string(),
  at: isoTime,
});
// A second factor changed; never a secret or a code.
const userMfaChanged = z.object({
  user_id: uuid,
  email: z.string().email(),
  change: z.enum(["totp_enrolled", "totp_removed", "recovery_code_used", "factors_reset"]).openapi({
    description: "`factors_reset`: an administrator (or SecureBase staff) removed the user's factors",
  }),
  changed_at: isoTime,
});
const securityPolicyFields = z.object({
  mfa_required: z.boolean(),
  session_lifetime_minutes: z.number().int(),
  idle_timeout_minutes: z.number().int(),
  allowed_sign_in_methods: z.array(z.enum(["password", "passkey"])),
});
const securityPolicyUpdated = z.object({ before: securityPolicyFields, after: securityPolicyFields });
const invoiceCreated = z.object({
  id: uuid,
  number: z.string(),
  period_start: z.string().date(),
  period_end: z.string().date(),
  total_cents: z.number().int(),
  currency: z.string().length(3).openapi({ example: "usd" }),
});
const endpointDisabled = z.object({
  endpoint_id: uuid,
  url: z.string(),
  reason: z
    .enum(["failing", "gone"])
    .openapi({ description: "`failing`: 5 days of failed deliveries; `gone`: the receiver answered 410" }),
  failing_since: isoTime.nullable(),
});
const webhookTest = z.object({ endpoint_id: uuid, message: z.string() });

export interface EventDefinition<S extends z.ZodObject = z.ZodObject> {
  description: string;
  category: NotificationCategory;
  payload: S;
}

const define = <S extends z.ZodObject>(
  category: NotificationCategory,
  description: string,
  payload: S,
): EventDefinition<S> => ({
  category,
  description,
  payload,
});

export const eventCatalogue = {
  "api_key.created": define("security", "An API key was created (or issued by a rotation)", apiKeyCreated),
  "api_key.revoked": define("security", "An API key was revoked", apiKeyRevoked),
  "api_key.rotated": define(
    "security",
    "An API key was replaced by a new one; the old one works until `expires_at`",
    apiKeyRotated,
  ),
  "user.invited": define(
    "security",
    "A person was invited to the portal (the accept link goes only to their email)",
    userInvited,
  ),
  "user.password_changed": define(
    "security",
    "A user's password was changed (or reset by emailed link); their other sessions ended",
    userPasswordChanged,
  ),
  "user.new_device_sign_in": define(
    "security",
    "A user signed in from a device (browser or machine) it had not signed in from before",
    userNewDeviceSignIn,
  ),
  "user.password_reset_requested": define(
    "security",
    "A password reset link was requested for a user (the link goes only to their email)",
    userPasswordResetRequested,
  ),
  "user.passkey_registered": define("security", "A user registered a passkey to sign in with", userPasskeyChanged),
  "user.passkey_deleted": define("security", "A user deleted one of their passkeys", userPasskeyChanged),
  "user.mfa_changed": define(
    "security",
    "A user's second factors changed: TOTP enrolled or removed, a recovery code used, or factors reset by an admin",
    userMfaChanged,
  ),
  "security_policy.updated": define(
    "security",
    "The customer's sign-in security policy was changed (before and after)",
    securityPolicyUpdated,
  ),
  "invoice.created": define("billing", "The monthly billing run issued an invoice", invoiceCreated),
  "invoice.paid": define(
    "billing",
    "An invoice was paid in full (payments, credit notes or the customer's credit balance)",
    invoicePaidPayload,
  ),
  "invoice.voided": define(
    "billing",
    "An invoice was voided by SecureBase staff; nothing is due",
    invoiceVoidedPayload,
  ),
  "invoice.marked_uncollectible": define(
    "billing",
    "SecureBase staff marked an open invoice uncollectible; it can still be paid",
    invoiceMarkedUncollectiblePayload,
  ),
  "credit_note.created": define(
    "billing",
    "A credit note was issued against an invoice (the part beyond the amount due becomes credit balance)",
    creditNoteCreatedPayload,
  ),
  "webhook.endpoint.disabled": define(
    "webhooks",
    "A webhook endpoint was disabled after 5 days of failures or a 410",
    endpointDisabled,
  ),
  "webhook.test": define(
    "webhooks",
    "Sent by POST /v1/webhooks/endpoints/{id}/test to that endpoint only",
    webhookTest,
  ),
  "cost.budget_exceeded": define(
    "cost_alerts",
    "The month's cost so far (`actual`) or its forecast reached a budget threshold; once per threshold per month",
    budgetExceededSchema,
  ),
  "ticket.created": define("support", "A support ticket was opened, with its SLA deadlines", ticketCreatedPayload),
  "ticket.updated": define(
    "support",
    "A support ticket changed: status, assignment, or subject/description",
    ticketUpdatedPayload,
  ),
  "ticket.comment.created": define(
    "support",
    "A public comment on a support ticket (never an internal note)",
    ticketCommentCreatedPayload,
  ),
  "ticket.sla_breached": define(
    "support",
    "A support ticket's first-response or resolution SLA deadline passed (once per clock)",
    ticketSlaBreachedPayload,
  ),
} as const satisfies Record<string, EventDefinition>;

export type EventType = keyof typeof eventCatalogue;
export type EventPayload<T extends EventType> = z.infer<(typeof eventCatalogue)[T]["payload"]>;
export const eventTypes = Object.keys(eventCatalogue) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(eventCatalogue, value);
}

/** Events a customer can subscribe an endpoint to (webhook.test goes only where it is asked). */
export const subscribableEventTypes = eventTypes.filter((t) => t !== "webhook.test");

/** Standard Webhooks payloads stay small; the spec's receivers expect well under this. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** Validates a payload against the catalogue; a mismatch is a programming error (500), never sent. */
export function checkedPayload<T extends EventType>(type: T, payload: EventPayload<T>): EventPayload<T> {
  const parsed = eventCatalogue[type].payload.parse(payload) as EventPayload<T>;
  if (new TextEncoder().encode(JSON.stringify(parsed)).length > MAX_PAYLOAD_BYTES) {
    throw new Error(`${type} payload exceeds ${MAX_PAYLOAD_BYTES} bytes`);
  }
  return parsed;
}

/** The body of a webhook: Standard Webhooks' recommended envelope. */
export const webhookEnvelope = (payload: z.ZodObject, type: string) =>
  z.object({
    id: uuid.openapi({
      description: "The event id (also the `webhook-id` header): the same across retries, use it to deduplicate",
    }),
    type: z.literal(type),
    timestamp: isoTime.openapi({ description: "When the event happened (order by this, not by arrival)" }),
    data: payload,
  });
