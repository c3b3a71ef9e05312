// What an SES bounce or complaint event means for our list of undeliverable addresses
// (docs/email-suppressions.md). The configuration set's event destination sends `eventType`;
// identity notifications send `notificationType`: both are read. A permanent bounce and a
// complaint mark their recipients; a transient or undetermined bounce (a full mailbox, a
// greylisting server) and any other event mark nobody. Read by hand, not with zod: the message
// is already signed by SNS, and this keeps the bundle small (docs/operations.md, "Cold start and
// bundle size").
import type { SuppressionReason } from "../../db/schema.ts";
import { textProblem } from "../http/input.ts";

export interface SesOutcome {
  /** Bounce/Permanent, Bounce/Transient, Complaint, Delivery, … or "unreadable". */
  kind: string;
  reason: SuppressionReason | null;
  addresses: string[];
  detail: string | null;
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json => (value !== null && typeof value === "object" ? (value as Json) : {});
/** A string Postgres can store (no NUL, no lone surrogate), cut to `max`, else null. */
const storable = (value: unknown, max: number) =>
  typeof value === "string" && value !== "" && textProblem(value) === null ? value.slice(0, max) : null;
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;
const addressesOf = (recipients: unknown) =>
  (Array.isArray(recipients) ? recipients.slice(0, 100) : [])
    .map((r) => storable(object(r).emailAddress, 320)?.trim().toLowerCase() ?? "")
    .filter((a) => ADDRESS.test(a));

/** Reads the SNS Message of an SES event; never throws (an unreadable one marks nobody). */
export function readSesEvent(message: string): SesOutcome {
  let event: Json;
  try {
    event = object(JSON.parse(message));
  } catch {
    return { kind: "unreadable", reason: null, addresses: [], detail: null };
  }
  const kind = storable(event.eventType ?? event.notificationType, 40) ?? "unknown";
  if (kind === "Bounce") {
    const bounce = object(event.bounce);
    const type = storable(bounce.bounceType, 20) ?? "Undetermined";
    const recipients = Array.isArray(bounce.bouncedRecipients) ? bounce.bouncedRecipients : [];
    const diagnostic = recipients.map((r) => object(r).diagnosticCode).find((d) => typeof d === "string");
    return {
      kind: `Bounce/${type}`,
      reason: type === "Permanent" ? "bounce" : null,
      addresses: addressesOf(recipients),
      detail: storable([type, bounce.bounceSubType, diagnostic].filter((d) => typeof d === "string").join(": "), 500),
    };
  }
  if (kind === "Complaint") {
    const complaint = object(event.complaint);
    return {
      kind,
      reason: "complaint",
      addresses: addressesOf(complaint.complainedRecipients),
      detail: storable(complaint.complaintFeedbackType, 80),
    };
  }
  return { kind, reason: null, addresses: [], detail: null };
}
