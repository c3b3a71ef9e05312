// Turning events into notifications, on the jobs role: in-app rows for the users an event
// concerns (by role, minus those who switched it off) and email rows for the SES sender.
// In-app rows are per user; with nobody to address (a customer without users yet) one row
// for the whole customer (user_id NULL) is written instead.
import { and, eq, inArray } from "drizzle-orm";
import { emailMessages, notificationPreferences, notifications, users } from "../../db/schema.ts";
import type { Database } from "../platform/database.ts";
import { notificationKind, type NotificationKind } from "./catalogue.ts";

export interface Notice {
  customerId: string;
  type: string;
  eventId: string | null;
  data: Record<string, unknown>;
  /** Sealed secrets for the email (the invite link), kept until the email is sent. */
  sealed?: string;
}

const renderContext = { apiUrl: "", portalUrl: "", secrets: {} };

/** Writes the in-app and email rows for `notices`; returns the new email ids (to send now). */
export async function notify(db: Database, notices: Notice[]): Promise<string[]> {
  const relevant = notices.flatMap((n) => {
    const kind = notificationKind(n.type);
    return kind ? [{ notice: n, kind }] : [];
  });
  if (relevant.length === 0) return [];

  const customerIds = [
    ...new Set(relevant.filter((r) => r.kind.audience !== "addressee").map((r) => r.notice.customerId)),
  ];
  const people = customerIds.length
    ? await db
        .select({ id: users.id, customerId: users.customerId, email: users.email, role: users.role })
        .from(users)
        .where(and(inArray(users.customerId, customerIds), eq(users.status, "active")))
    : [];
  const preferences = people.length
    ? await db
        .select()
        .from(notificationPreferences)
        .where(
          inArray(
            notificationPreferences.userId,
            people.map((p) => p.id),
          ),
        )
    : [];
  const preference = (userId: string, channel: "in_app" | "email", type: string) =>
    preferences.find((p) => p.userId === userId && p.channel === channel && p.eventType === type)?.enabled;
  const wantsEmail = (kind: NotificationKind, userId: string, type: string) =>
    kind.email === "mandatory" || (preference(userId, "email", type) ?? kind.email === "default_on");

  const inApp: (typeof notifications.$inferInsert)[] = [];
  const emails: (typeof emailMessages.$inferInsert)[] = [];
  for (const { notice, kind } of relevant) {
    const base = { customerId: notice.customerId, eventType: notice.type };
    if (kind.audience === "addressee") {
      emails.push({
        ...base,
        eventId: notice.eventId,
        toAddress: String(notice.data.email),
        data: notice.data,
        secretCiphertext: notice.sealed ? new TextEncoder().encode(notice.sealed) : null,
      });
      continue;
    }
    const { title, text } = kind.render(notice.data, renderContext);
    const audience = people.filter(
      (p) => p.customerId === notice.customerId && (kind.audience as readonly string[]).includes(p.role),
    );
    if (audience.length === 0) inApp.push({ ...base, userId: null, category: kind.category, title, body: text });
    for (const person of audience) {
      if (preference(person.id, "in_app", notice.type) ?? true) {
        inApp.push({ ...base, userId: person.id, category: kind.category, title, body: text });
      }
      if (wantsEmail(kind, person.id, notice.type)) {
        emails.push({
          ...base,
          eventId: notice.eventId,
          userId: person.id,
          toAddress: person.email,
          data: notice.data,
        });
      }
    }
  }
  if (inApp.length) await db.insert(notifications).values(inApp);
  if (emails.length === 0) return [];
  const inserted = await db.insert(emailMessages).values(emails).returning({ id: emailMessages.id });
  return inserted.map((e) => e.id);
}
