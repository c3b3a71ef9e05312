import { describe, expect, inject, it } from "vitest";
import { Column, getTableColumns, getTableName, getViewSelectedFields, is } from "drizzle-orm";
import { getViewConfig, PgTable, PgView } from "drizzle-orm/pg-core";
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

  it("match the drizzle schema: same columns both ways, and every public table is mirrored", async () => {
    const { columnRows, tableRows } = await asOwner(async (client) => ({
      columnRows: (
        await client.query(
          "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'",
        )
      ).rows,
      tableRows: (
        await client.query(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
      ).rows,
    }));
    const databaseColumns = new Map<string, Set<string>>();
    for (const r of columnRows) {
      const table = r.table_name as string;
      databaseColumns.set(table, (databaseColumns.get(table) ?? new Set<string>()).add(r.column_name as string));
    }

    // Tables and (existing) views defined in drizzle, by name, with their column names.
    const entities = Object.values(schema);
    const drizzleTables = new Map<string, string[]>();
    for (const table of entities.filter((v) => is(v, PgTable))) {
      drizzleTables.set(
        getTableName(table),
        Object.values(getTableColumns(table)).map((c) => c.name),
      );
    }
    const drizzleViews = new Map<string, string[]>();
    for (const view of entities.filter((v) => is(v, PgView))) {
      const fields = Object.values(getViewSelectedFields(view)).filter((f) => is(f, Column));
      drizzleViews.set(
        getViewConfig(view).name,
        fields.map((c) => c.name),
      );
    }

    for (const [name, columns] of [...drizzleTables, ...drizzleViews]) {
      const actual = databaseColumns.get(name);
      expect.soft(actual, `${name} exists in the database`).toBeDefined();
      // Every drizzle column exists in the database...
      for (const column of columns) expect.soft(actual, `${name}.${column} (in drizzle)`).toContain(column);
      // ...and every database column is in drizzle.
      for (const column of actual ?? []) expect.soft(columns, `${name}.${column} (in the database)`).toContain(column);
    }

    // Every base table except the migration runner's own has a drizzle definition.
    const unmirrored = tableRows
      .map((r) => r.table_name as string)
      .filter((table) => table !== "schema_migrations" && !drizzleTables.has(table));
    expect(unmirrored, "public tables without a drizzle pgTable in db/schema").toEqual([]);
  });
});
