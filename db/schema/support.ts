// Support tickets with SLA targets per tier and priority (0009, 0050).
import { boolean, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";
import type { Tier } from "./tenants.ts";

export const ticketPriorities = ["low", "medium", "high", "critical"] as const;
export type TicketPriority = (typeof ticketPriorities)[number];
export const ticketStatuses = ["open", "in_progress", "waiting_on_customer", "resolved", "closed"] as const;
export type TicketStatus = (typeof ticketStatuses)[number];

export const ticketCategories = ["billing", "technical", "account", "security", "compliance", "other"] as const;
export type TicketCategory = (typeof ticketCategories)[number];
export const relatedResourceTypes = ["invoice", "account"] as const;
export type RelatedResourceType = (typeof relatedResourceTypes)[number];

export const slaPolicies = pgTable(
  "sla_policies",
  {
    tier: text("tier").notNull().$type<Tier>(),
    priority: text("priority").notNull().$type<TicketPriority>(),
    firstResponseHours: integer("first_response_hours").notNull(),
    resolutionHours: integer("resolution_hours").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tier, t.priority] })],
);

export const supportTickets = pgTable("support_tickets", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  subject: text("subject").notNull(),
  description: text("description").notNull(),
  priority: text("priority").notNull().$type<TicketPriority>(),
  status: text("status").notNull().$type<TicketStatus>().default("open"),
  createdBy: uuid("created_by"),
  assignee: text("assignee"),
  firstResponseDueAt: timestamp("first_response_due_at", { withTimezone: true }).notNull(),
  resolutionDueAt: timestamp("resolution_due_at", { withTimezone: true }).notNull(),
  firstRespondedAt: timestamp("first_responded_at", { withTimezone: true }),
  resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  closedAt: timestamp("closed_at", { withTimezone: true }),
  slaBreachedAt: timestamp("sla_breached_at", { withTimezone: true }),
  createdAt: createdAt(),
  // 0050: category, related resource, SLA tier, the paused resolution clock, one breach mark per clock.
  category: text("category").$type<TicketCategory>(),
  relatedResourceType: text("related_resource_type").$type<RelatedResourceType>(),
  relatedResourceId: uuid("related_resource_id"),
  slaTier: text("sla_tier").$type<Tier>(),
  resolutionPausedAt: timestamp("resolution_paused_at", { withTimezone: true }),
  firstResponseBreachedAt: timestamp("first_response_breached_at", { withTimezone: true }),
  resolutionBreachedAt: timestamp("resolution_breached_at", { withTimezone: true }),
  reopenedAt: timestamp("reopened_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const ticketComments = pgTable("ticket_comments", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  ticketId: uuid("ticket_id").notNull(),
  authorType: text("author_type").notNull().$type<"customer" | "staff" | "system">(),
  authorId: text("author_id"),
  body: text("body").notNull(),
  // Staff notes: hidden from customers by a restrictive RLS policy.
  internal: boolean("internal").notNull().default(false),
  createdAt: createdAt(),
});
