// Column helpers shared by the schema files (not tables; db/schema.ts does not re-export them).
import { sql } from "drizzle-orm";
import { bigint, customType, timestamp, uuid } from "drizzle-orm/pg-core";

// Sent as Postgres' hex text form ('\\x…'), which every driver passes through unchanged;
// read back as bytes whether the driver returns a Buffer or the hex text.
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array | string }>({
  dataType: () => "bytea",
  toDriver: (value) => `\\x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`,
  fromDriver: (value) =>
    typeof value === "string"
      ? Uint8Array.from(value.slice(2).match(/../g) ?? [], (h) => parseInt(h, 16))
      : new Uint8Array(value),
});
export const id = () => uuid("id").primaryKey().default(sql`app.uuid_v7()`);
export const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
export const cents = (name: string) => bigint(name, { mode: "number" });
