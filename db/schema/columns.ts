// Column helpers shared by the schema files (not tables; db/schema.ts does not re-export them).
import { sql } from "drizzle-orm";
import { bigint, customType, timestamp, uuid } from "drizzle-orm/pg-core";

export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });
export const id = () => uuid("id").primaryKey().default(sql`app.uuid_v7()`);
export const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
export const cents = (name: string) => bigint(name, { mode: "number" });
