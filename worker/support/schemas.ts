// Wire shapes of the support desk (named OpenAPI schemas) and the row -> object mappings. The
// customer shapes have no field that could carry an internal note or the staff assignee's id.
import { z } from "@hono/zod-openapi";
import { relatedResourceTypes, ticketCategories, ticketPriorities, ticketStatuses, tiers } from "../../db/schema.ts";
import { text } from "../http/input.ts";
import { paginationQuerySchema } from "../http/pagination.ts";
import { slaOf, type TicketRow } from "./sla.ts";
import type { CommentRow } from "./tickets.ts";

const ticketId = "019a7c1e-2b3d-7e4f-8a9b-0c1d2e3f4a5b";
const isoTime = (description: string, example = "2026-11-23T14:00:00.000Z") =>
  z.string().datetime({ offset: true }).openapi({ description, example });
const nullableTime = (description: string) => z.string().datetime({ offset: true }).nullable().openapi({ description });

const prioritySchema = z
  .enum(ticketPriorities)
  .openapi({ description: "Drives the SLA deadlines with your tier", example: "high" });
const statusSchema = z.enum(ticketStatuses).openapi({ example: "in_progress" });
const categorySchema = z.enum(ticketCategories).openapi({ example: "billing" });

const clockSchema = z
  .object({
    due_at: isoTime("The deadline (moved back by time paused waiting on you, or spent resolved before a reopen)"),
    status: z.enum(["pending", "paused", "met", "breached"]).openapi({
      description:
        "`pending`: running, not yet due; `paused`: waiting on you; `met`/`breached`: stopped at or before / after the deadline, or overdue",
      example: "pending",
    }),
    remaining_seconds: z.number().int().nullable().openapi({
      description: "Seconds to the deadline (negative when overdue; frozen while paused); null once stopped",
      example: 12600,
    }),
    stopped_at: nullableTime("When the clock stopped: first staff reply, or resolution"),
    breach_recorded_at: nullableTime("When the breach sweep recorded the breach and emitted `ticket.sla_breached`"),
  })
  .openapi("SlaClock");

const slaSchema = z
  .object({
    tier: z.enum(tiers).nullable().openapi({
      description: "The tier whose targets apply (yours when the ticket was opened)",
      example: "healthcare",
    }),
    first_response: clockSchema,
    resolution: clockSchema,
    breached: z.boolean().openapi({ description: "Either clock breached", example: false }),
  })
  .openapi("TicketSla");

const relatedSchema = z
  .object({
    type: z.enum(relatedResourceTypes).openapi({ example: "invoice" }),
    id: z.string().uuid().openapi({ example: "019a7c1e-0000-7000-8000-00000000abcd" }),
  })
  .openapi("TicketRelatedResource");

const ticketFields = {
  id: z.string().uuid().openapi({ example: ticketId }),
  object: z.literal("support_ticket"),
  subject: z.string().openapi({ example: "Invoice SB-2026-0042 shows NAT twice" }),
  description: z.string().openapi({ example: "Line 3 and line 5 both bill NAT processing for October." }),
  priority: prioritySchema,
  status: statusSchema,
  category: categorySchema.nullable(),
  related_resource: relatedSchema.nullable(),
  sla: slaSchema,
  created_at: isoTime("When the ticket was opened"),
  updated_at: isoTime("Last change to the ticket or its public conversation"),
  resolved_at: nullableTime("When it was resolved"),
  closed_at: nullableTime("When it was closed"),
};

export const ticketSchema = z
  .object({
    ...ticketFields,
    assigned: z.boolean().openapi({ description: "A SecureBase engineer owns the ticket", example: true }),
  })
  .openapi("SupportTicket");

export const staffTicketSchema = z
  .object({
    ...ticketFields,
    assignee_id: z.string().uuid().nullable().openapi({ description: "The staff user who owns the ticket" }),
    customer: z
      .object({ id: z.string().uuid(), name: z.string(), tier: z.enum(tiers) })
      .openapi({ description: "Whose ticket it is" }),
  })
  .openapi("StaffSupportTicket");

export const commentSchema = z
  .object({
    id: z.string().uuid().openapi({ example: "019a7c1f-5e6d-7c8b-9a0f-1e2d3c4b5a69" }),
    object: z.literal("ticket_comment"),
    ticket_id: z.string().uuid().openapi({ example: ticketId }),
    author_type: z.enum(["customer", "staff", "system"]).openapi({ example: "staff" }),
    body: z.string().openapi({
      description: "Stored and returned exactly as written: escape it when you render it",
      example: "Thanks, we are looking into it.",
    }),
    created_at: isoTime("When it was posted"),
  })
  .openapi("TicketComment");

export const staffCommentSchema = commentSchema
  .extend({
    author_id: z.string().nullable().openapi({ description: "The user (or API key) who wrote it" }),
    internal: z.boolean().openapi({ description: "An internal note: never visible to the customer", example: false }),
  })
  .openapi("StaffTicketComment");

const nonBlank = (value: string) => value.trim().length > 0;
const body20k = (description: string, example: string) =>
  text({ min: 1, max: 20_000, trim: false })
    .refine(nonBlank, { message: "must not be blank" })
    .openapi({ description, example });

export const createTicketBodySchema = z
  .strictObject({
    subject: text({ min: 1, max: 200 }).openapi({
      description: "1–200 characters",
      example: "Invoice SB-2026-0042 shows NAT twice",
    }),
    description: body20k(
      "1–20,000 characters, stored as written; defaults to the subject",
      "Line 3 and line 5 both bill NAT processing for October.",
    ).optional(),
    priority: prioritySchema,
    category: categorySchema.optional(),
    related_resource: relatedSchema
      .optional()
      .openapi({ description: "An invoice or managed account of yours the ticket is about" }),
  })
  .openapi("CreateSupportTicketRequest", {
    example: {
      subject: "Invoice SB-2026-0042 shows NAT twice",
      description: "Line 3 and line 5 both bill NAT processing.",
      priority: "high",
      category: "billing",
    },
  });

export const updateTicketBodySchema = z
  .strictObject({
    subject: text({ min: 1, max: 200 })
      .optional()
      .openapi({ description: "Only while the ticket is `open`", example: "NAT billed twice on SB-2026-0042" }),
    description: body20k("Only while the ticket is `open`", "Lines 3 and 5 both bill NAT processing.").optional(),
    status: z.enum(["open", "closed"]).optional().openapi({
      description:
        "`closed` closes the ticket; `open` reopens a resolved (or closed after resolution) ticket within 7 days of its resolution",
      example: "closed",
    }),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "Send at least one of subject, description, status",
  })
  .openapi("UpdateSupportTicketRequest", { minProperties: 1, example: { status: "closed" } });

export const staffUpdateTicketBodySchema = z
  .strictObject({
    status: statusSchema.optional().openapi({
      description:
        "open → in_progress → waiting_on_customer → resolved → closed (see the README for every allowed move); an illegal move is a 409 naming the allowed ones",
      example: "waiting_on_customer",
    }),
    assignee_id: z.string().uuid().nullable().optional().openapi({
      description: "A SecureBase staff user id, or null to unassign",
      example: "019a0000-0000-7000-8000-000000000001",
    }),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: "Send at least one of status, assignee_id" })
  .openapi("StaffUpdateSupportTicketRequest", { minProperties: 1, example: { status: "in_progress" } });

export const createCommentBodySchema = z
  .strictObject({
    body: body20k(
      "1–20,000 characters, stored as written",
      "The duplicate line is still there on the reissued invoice.",
    ),
  })
  .openapi("CreateTicketCommentRequest", {
    example: { body: "The duplicate line is still there on the reissued invoice." },
  });

export const staffCommentBodySchema = z
  .strictObject({
    body: body20k("1–20,000 characters, stored as written", "We found the duplicate and are reissuing the invoice."),
    internal: z.boolean().default(false).openapi({
      description: "`true`: an internal note, never visible to the customer and stopping no clock",
      example: false,
    }),
  })
  .openapi("StaffCreateTicketCommentRequest", {
    example: { body: "We found the duplicate and are reissuing the invoice.", internal: false },
  });

const queryParam = <T extends z.ZodTypeAny>(schema: T, name: string, description: string) =>
  schema.optional().openapi({ param: { name, in: "query" }, description });

export const listTicketsQuerySchema = paginationQuerySchema.extend({
  status: queryParam(z.enum(ticketStatuses), "status", "Only tickets in this status"),
  priority: queryParam(z.enum(ticketPriorities), "priority", "Only tickets of this priority"),
  created_after: queryParam(
    z.string().datetime({ offset: true }),
    "created_after",
    "Opened at or after this time (ISO 8601)",
  ),
  created_before: queryParam(
    z.string().datetime({ offset: true }),
    "created_before",
    "Opened before this time (ISO 8601)",
  ),
});

export const staffQueueQuerySchema = paginationQuerySchema.extend({
  status: queryParam(z.enum(ticketStatuses), "status", "Only tickets in this status"),
  priority: queryParam(z.enum(ticketPriorities), "priority", "Only tickets of this priority"),
  breached: queryParam(
    z.enum(["true", "false"]),
    "breached",
    "`true`: only tickets with a breached clock; `false`: only tickets without",
  ),
  customer_id: queryParam(z.string().uuid(), "customer_id", "Only this customer's tickets"),
});

export const commentsQuerySchema = paginationQuerySchema;

const iso = (d: Date | null) => d?.toISOString() ?? null;

function commonFields(row: TicketRow, now: Date) {
  return {
    id: row.id,
    object: "support_ticket" as const,
    subject: row.subject,
    description: row.description,
    priority: row.priority,
    status: row.status,
    category: row.category,
    related_resource:
      row.relatedResourceType && row.relatedResourceId
        ? { type: row.relatedResourceType, id: row.relatedResourceId }
        : null,
    sla: slaOf(row, now),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    resolved_at: iso(row.resolvedAt),
    closed_at: iso(row.closedAt),
  };
}

export const toTicket = (row: TicketRow, now: Date): z.infer<typeof ticketSchema> => ({
  ...commonFields(row, now),
  assigned: row.assignee !== null,
});

export const toStaffTicket = (
  row: TicketRow,
  customer: { id: string; name: string; tier: z.infer<typeof staffTicketSchema>["customer"]["tier"] },
  now: Date,
): z.infer<typeof staffTicketSchema> => ({ ...commonFields(row, now), assignee_id: row.assignee, customer });

export const toComment = (row: CommentRow): z.infer<typeof commentSchema> => ({
  id: row.id,
  object: "ticket_comment",
  ticket_id: row.ticketId,
  author_type: row.authorType,
  body: row.body,
  created_at: row.createdAt.toISOString(),
});

export const toStaffComment = (row: CommentRow): z.infer<typeof staffCommentSchema> => ({
  ...toComment(row),
  author_id: row.authorId,
  internal: row.internal,
});
