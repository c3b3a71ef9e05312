// In-app notifications and preferences for the calling user (request side, tenant transaction).
// A user sees their own notifications and the customer-wide ones (user_id NULL, written when an
// event had nobody to address); an API key, having no user, sees only the customer-wide ones.
import { and, desc, eq, isNull, or, sql } from "drizzle-orm";
import { notificationPreferences, notifications, type NotificationChannel } from "../../db/schema.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import type { Database } from "../platform/database.ts";
import type { Audit } from "../http/transactions.ts";
import { notificationCatalogue, userNotificationTypes, type NotificationType } from "./catalogue.ts";

export type NotificationRow = typeof notifications.$inferSelect;

const visibleTo = (customerId: string, userId: string | null) =>
  and(
    eq(notifications.customerId, customerId),
    userId ? or(eq(notifications.userId, userId), isNull(notifications.userId)) : isNull(notifications.userId),
    sql`${notifications.expiresAt} > now()`,
  );

export function listNotifications(
  db: Database,
  customerId: string,
  userId: string | null,
  page: PaginationQuery & { unread?: boolean },
) {
  return db
    .select()
    .from(notifications)
    .where(
      and(
        visibleTo(customerId, userId),
        page.unread ? isNull(notifications.readAt) : undefined,
        afterCursor(notifications.id, page),
      ),
    )
    .orderBy(desc(notifications.id))
    .limit(page.limit + 1);
}

export async function markRead(
  db: Database,
  audit: Audit,
  customerId: string,
  userId: string | null,
  id: string,
): Promise<NotificationRow | undefined> {
  const where = and(visibleTo(customerId, userId), eq(notifications.id, id));
  const [updated] = await db
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(and(where, isNull(notifications.readAt)))
    .returning();
  if (updated) {
    await audit({
      action: "notification.read",
      resourceType: "notification",
      resourceId: id,
      summary: `Notification '${updated.title}' marked read`,
    });
    return updated;
  }
  const [row] = await db.select().from(notifications).where(where);
  return row;
}

export async function markAllRead(
  db: Database,
  audit: Audit,
  customerId: string,
  userId: string | null,
): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(and(visibleTo(customerId, userId), isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  if (rows.length > 0) {
    await audit({
      action: "notification.read_all",
      resourceType: "notification",
      summary: `${rows.length} notifications marked read`,
      data: { count: rows.length },
    });
  }
  return rows.length;
}

export interface Preference {
  event_type: NotificationType;
  channel: NotificationChannel;
  enabled: boolean;
  /** Security mail that cannot be switched off. */
  locked: boolean;
}

const defaults = (type: NotificationType, channel: NotificationChannel) => {
  const kind = notificationCatalogue[type];
  if (channel === "in_app") return { enabled: true, locked: false };
  return { enabled: kind.email !== "default_off", locked: kind.email === "mandatory" };
};

export async function getPreferences(db: Database, customerId: string, userId: string): Promise<Preference[]> {
  const stored = await db
    .select()
    .from(notificationPreferences)
    .where(and(eq(notificationPreferences.customerId, customerId), eq(notificationPreferences.userId, userId)));
  return userNotificationTypes.flatMap((type) =>
    (["in_app", "email"] as const).map((channel) => {
      const base = defaults(type, channel);
      const own = stored.find((p) => p.eventType === type && p.channel === channel);
      return {
        event_type: type,
        channel,
        enabled: base.locked ? true : (own?.enabled ?? base.enabled),
        locked: base.locked,
      };
    }),
  );
}

export const isLocked = (type: NotificationType, channel: NotificationChannel) => defaults(type, channel).locked;

export async function setPreferences(
  db: Database,
  audit: Audit,
  customerId: string,
  userId: string,
  changes: { event_type: NotificationType; channel: NotificationChannel; enabled: boolean }[],
): Promise<Preference[]> {
  if (changes.length > 0) {
    await db
      .insert(notificationPreferences)
      .values(
        changes.map((c) => ({ customerId, userId, channel: c.channel, eventType: c.event_type, enabled: c.enabled })),
      )
      .onConflictDoUpdate({
        target: [
          notificationPreferences.customerId,
          notificationPreferences.userId,
          notificationPreferences.channel,
          notificationPreferences.eventType,
        ],
        set: { enabled: sql`excluded.enabled`, updatedAt: sql`now()` },
      });
    await audit({
      action: "notification_preferences.updated",
      resourceType: "user",
      resourceId: userId,
      summary: `Notification preferences changed (${changes.length})`,
      data: { changes },
    });
  }
  return getPreferences(db, customerId, userId);
}
