// Cursor pagination shared by every list endpoint: `limit` + `starting_after` in, and
// `{data, has_more, next_cursor}` out. Ids are UUIDv7, so "after" in a newest-first list is
// simply a smaller id: no lookup of the cursor row, no offset scans.
import { z } from "@hono/zod-openapi";
import { lt, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

export const paginationQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(10)
    .openapi({ param: { name: "limit", in: "query" }, description: "Page size, 1–100", example: 10 }),
  starting_after: z
    .string()
    .uuid()
    .optional()
    .openapi({ param: { name: "starting_after", in: "query" }, description: "The `next_cursor` of the previous page" }),
});
export type PaginationQuery = z.infer<typeof paginationQuerySchema>;

/** The `{id}` path parameter of every single-resource route: a UUID. */
export const idParam = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: "id", in: "path" }, example: "0192f1c4-6a3e-7b8a-9d2c-3f4e5a6b7c8d" }),
});

export function pageSchema<T extends z.ZodTypeAny>(item: T, name: string) {
  return z
    .object({
      data: z.array(item),
      has_more: z.boolean(),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: "Pass as `starting_after` for the next page; null on the last page" }),
    })
    .openapi(name);
}

/** The WHERE condition for rows after the cursor: in a newest-first list, a smaller id. */
export function afterCursor(id: AnyPgColumn, page: { starting_after?: string }): SQL | undefined {
  return page.starting_after ? lt(id, page.starting_after) : undefined;
}

/** Rows fetched with limit + 1 -> one page of response items. */
export function pageOf<T extends { id: string }, R>(
  rows: T[],
  limit: number,
  toItem: (row: T) => R,
): { data: R[]; has_more: boolean; next_cursor: string | null } {
  const page = toPage(rows, limit);
  return { ...page, data: page.data.map(toItem) };
}

/** Rows fetched with limit + 1 -> one page. */
export function toPage<T extends { id: string }>(
  rows: T[],
  limit: number,
): { data: T[]; has_more: boolean; next_cursor: string | null } {
  const has_more = rows.length > limit;
  const data = has_more ? rows.slice(0, limit) : rows;
  return { data, has_more, next_cursor: has_more ? data[data.length - 1]!.id : null };
}
