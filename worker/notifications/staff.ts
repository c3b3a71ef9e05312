// Notices for SecureBase staff (docs/operations.md, "Alerts"): every active super_admin gets an
// in-app notification in their own (platform) customer and an email. Alerts and new support
// tickets use it; on the jobs role, inside the caller's transaction. Returns the email ids to send.
import { and, eq } from "drizzle-orm";
import { emailMessages, notifications, users } from "../../db/schema.ts";
import type { Database } from "../platform/database.ts";
import { notificationCatalogue } from "./catalogue.ts";

export type StaffNoticeType = "staff.ticket_created" | "platform.alert_opened" | "platform.alert_resolved";

export interface StaffNotice {
  type: StaffNoticeType;
  data: Record<string, unknown>;
}

const renderContext = { apiUrl: "", portalUrl: "", secrets: {} };

export async function notifyStaff(db: Database, notices: StaffNotice[]): Promise<string[]> {
  if (notices.length === 0) return [];
  const staff = await db
    .select({ id: users.id, customerId: users.customerId, email: users.email })
    .from(users)
    .where(and(eq(users.platformRole, "super_admin"), eq(users.status, "active")));
  if (staff.length === 0) return [];
  const inApp: (typeof notifications.$inferInsert)[] = [];
  const emails: (typeof emailMessages.$inferInsert)[] = [];
  for (const notice of notices) {
    const kind = notificationCatalogue[notice.type];
    const { title, text } = kind.render(notice.data, renderContext);
    for (const person of staff) {
      const base = { customerId: person.customerId, userId: person.id, eventType: notice.type };
      inApp.push({ ...base, category: kind.category, title, body: text });
      emails.push({ ...base, eventId: null, toAddress: person.email, data: notice.data });
    }
  }
  await db.insert(notifications).values(inApp);
  const inserted = await db.insert(emailMessages).values(emails).returning({ id: emailMessages.id });
  return inserted.map((e) => e.id);
}
