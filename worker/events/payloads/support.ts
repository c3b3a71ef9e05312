// The payloads of the events a ticket emits through the outbox (registered in
// worker/events/catalogue.ts). Internal notes emit nothing: an event goes to the customer's
// webhooks and notifications, and a note must never reach them. Payloads carry ids, statuses and
// deadlines, and a public comment's excerpt — never a note.
import { z } from "@hono/zod-openapi";
import { ticketPriorities, ticketStatuses } from "../../../db/schema.ts";

const uuid = z.string().uuid();
const isoTime = z.string().datetime({ offset: true });

export const ticketCreatedPayload = z.object({
  id: uuid,
  subject: z.string(),
  priority: z.enum(ticketPriorities),
  status: z.enum(ticketStatuses),
  category: z.string().nullable(),
  first_response_due_at: isoTime,
  resolution_due_at: isoTime,
});

export const ticketUpdatedPayload = z.object({
  id: uuid,
  status: z.enum(ticketStatuses),
  previous_status: z.enum(ticketStatuses),
  changed: z.array(z.string()).openapi({ description: "Fields that changed: subject, description, status, assignee" }),
  resolution_due_at: isoTime,
});

/** How much of a comment an event carries (the full text is one GET away). */
export const COMMENT_EXCERPT_LENGTH = 280;

export const ticketCommentCreatedPayload = z.object({
  ticket_id: uuid,
  comment_id: uuid,
  author_type: z.enum(["customer", "staff"]),
  excerpt: z.string().openapi({ description: `The first ${COMMENT_EXCERPT_LENGTH} characters of a public comment` }),
});

export const ticketSlaBreachedPayload = z.object({
  id: uuid,
  clock: z.enum(["first_response", "resolution"]),
  priority: z.enum(ticketPriorities),
  due_at: isoTime,
  breached_at: isoTime,
});
