// Column helpers shared by the schema files (not tables; db/schema.ts does not re-export them).
import { sql } from "drizzle-orm";
import { bigint, customType, timestamp, uuid } from "drizzle-orm/pg-core";

const toHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

// Sent as Postgres' hex text form ('\\x…'), which every driver passes through unchanged;
// read back as bytes whether the driver returns a Buffer or the hex text.
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array | string }>({
  dataType: () => "bytea",
  toDriver: (value) => `\\x${toHex(value)}`,
  fromDriver: (value) => (typeof value === "string" ? fromHex(value.slice(2)) : new Uint8Array(value)),
});
export const id = () => uuid("id").primaryKey().default(sql`app.uuid_v7()`);
export const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
export const cents = (name: string) => bigint(name, { mode: "number" });
