// What an SES bounce or complaint event means for our list of undeliverable addresses
// (docs/email-suppressions.md). The configuration set's event destination sends `eventType`;
// identity notifications send `notificationType`: both are read. A permanent bounce and a
// complaint mark their recipients; a transient or undetermined bounce (a full mailbox, a
// greylisting server) and any other event mark nobody.
import { z } from "@hono/zod-openapi";
import type { SuppressionReason } from "../../db/schema.ts";
import { textProblem } from "../http/input.ts";

const recipient = z.object({ emailAddress: z.string().max(320) }).passthrough();

const sesEventSchema = z
  .object({
    eventType: z.string().max(40).optional(),
    notificationType: z.string().max(40).optional(),
    bounce: z
      .object({
        bounceType: z.string().max(40),
        bounceSubType: z.string().max(80).optional(),
        bouncedRecipients: z.array(recipient.extend({ diagnosticCode: z.string().optional() })).max(100),
      })
      .passthrough()
      .optional(),
    complaint: z
      .object({
        complainedRecipients: z.array(recipient).max(100),
        complaintFeedbackType: z.string().max(80).optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export interface SesOutcome {
  /** Bounce, Complaint, Delivery, … or "unreadable". */
  kind: string;
  reason: SuppressionReason | null;
  addresses: string[];
  detail: string | null;
}

/** Text Postgres can store (no NUL, no lone surrogate), else null. */
const storable = (value: string | null | undefined) => (value && textProblem(value) === null ? value : null);
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;
const addressesOf = (recipients: { emailAddress: string }[]) =>
  recipients.map((r) => r.emailAddress.trim().toLowerCase()).filter((a) => ADDRESS.test(a) && storable(a) !== null);

/** Reads the SNS Message of an SES event; never throws (an unreadable one marks nobody). */
export function readSesEvent(message: string): SesOutcome {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { kind: "unreadable", reason: null, addresses: [], detail: null };
  }
  const parsed = sesEventSchema.safeParse(json);
  if (!parsed.success) return { kind: "unreadable", reason: null, addresses: [], detail: null };
  const event = parsed.data;
  const kind = storable(event.eventType ?? event.notificationType)?.slice(0, 40) ?? "unknown";
  if (kind === "Bounce" && event.bounce) {
    const { bounceType, bounceSubType, bouncedRecipients } = event.bounce;
    const diagnostic = bouncedRecipients.find((r) => r.diagnosticCode)?.diagnosticCode;
    return {
      kind: storable(`Bounce/${bounceType}`)?.slice(0, 40) ?? "Bounce",
      reason: bounceType === "Permanent" ? "bounce" : null,
      addresses: addressesOf(bouncedRecipients),
      detail: storable([bounceType, bounceSubType, diagnostic].filter(Boolean).join(": ").slice(0, 500)),
    };
  }
  if (kind === "Complaint" && event.complaint) {
    return {
      kind,
      reason: "complaint",
      addresses: addressesOf(event.complaint.complainedRecipients),
      detail: storable(event.complaint.complaintFeedbackType),
    };
  }
  return { kind, reason: null, addresses: [], detail: null };
}
