// Addresses SES reported undeliverable, and the SNS notifications applied (0230; platform tables,
// no customer_id: docs/email-suppressions.md).
import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";

export const suppressionReasons = ["bounce", "complaint"] as const;
export type SuppressionReason = (typeof suppressionReasons)[number];

export const emailSuppressions = pgTable("email_suppressions", {
  /** Lowercased. */
  address: text("address").primaryKey(),
  reason: text("reason").notNull().$type<SuppressionReason>(),
  sourceMessageId: text("source_message_id").notNull(),
  detail: text("detail"),
  createdAt: createdAt(),
});

export const sesNotifications = pgTable("ses_notifications", {
  messageId: text("message_id").primaryKey(),
  topicArn: text("topic_arn").notNull(),
  kind: text("kind").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});
