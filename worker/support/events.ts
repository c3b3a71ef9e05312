// Builds the payloads of the ticket events (their schemas: worker/events/payloads/support.ts).
import type { z } from "@hono/zod-openapi";
import {
  COMMENT_EXCERPT_LENGTH,
  type ticketCreatedPayload,
  type ticketUpdatedPayload,
} from "../events/payloads/support.ts";
import type { TicketRow } from "./sla.ts";

export const createdPayload = (t: TicketRow): z.infer<typeof ticketCreatedPayload> => ({
  id: t.id,
  subject: t.subject,
  priority: t.priority,
  status: t.status,
  category: t.category,
  first_response_due_at: t.firstResponseDueAt.toISOString(),
  resolution_due_at: t.resolutionDueAt.toISOString(),
});

/** `ticket.updated` for a change by either side (customer edit/close/reopen, staff move/assign). */
export const updatedPayload = (
  t: TicketRow,
  previous: TicketRow,
  changed: string[],
): z.infer<typeof ticketUpdatedPayload> => ({
  id: t.id,
  status: t.status,
  previous_status: previous.status,
  changed,
  resolution_due_at: t.resolutionDueAt.toISOString(),
});

export const excerpt = (body: string) => [...body].slice(0, COMMENT_EXCERPT_LENGTH).join("");
