import { describe, expect, inject, it } from "vitest";
import { getTableColumns, getTableName } from "drizzle-orm";
import * as schema from "../../db/schema.ts";
import { asOwner } from "../helpers/database.ts";

describe("migrations", () => {
  it("apply from zero, are recorded, and a second run applies nothing", async () => {
    const { firstRun, secondRun } = inject("migrations");
    expect(firstRun.length).toBeGreaterThanOrEqual(3);
    expect(secondRun.applied).toEqual([]);
    expect(secondRun.skipped).toEqual(firstRun);
    const { rows } = await asOwner((client) => client.query("SELECT name FROM schema_migrations ORDER BY version"));
    expect(rows.map((r) => r.name)).toEqual(firstRun);
  });

  it("match the drizzle schema: every drizzle column exists in the database", async () => {
    const { rows } = await asOwner((client) =>
      client.query("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"),
    );
    const actual = new Set(rows.map((r) => `${r.table_name}.${r.column_name}`));
    const tables = Object.values(schema).filter((v): v is typeof schema.invoices => typeof v === "object" && v !== null && "getSQL" in v);
    expect(tables.length).toBeGreaterThanOrEqual(7);
    for (const table of tables) {
      for (const column of Object.values(getTableColumns(table))) {
        expect(actual, `${getTableName(table)}.${column.name}`).toContain(`${getTableName(table)}.${column.name}`);
      }
    }
  });
});
