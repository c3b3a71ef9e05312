// Staff routes over the undeliverable addresses (docs/email-suppressions.md): list them, and
// remove one when its owner has fixed the mailbox (audited). Thin; rules in ./suppressions.ts.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { suppressionReasons } from "../../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { ProblemError, problemResponses } from "../http/problem.ts";
import { jsonResponse, secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { listSuppressions, removeSuppression, type SuppressionRow } from "./suppressions.ts";

const address = (where: "query" | "path", name: string) =>
  text({ min: 3, max: 320 })
    .refine((value) => value.includes("@"), { message: "must be an email address" })
    .openapi({ param: { name, in: where }, example: "bounced@example.com" });

const suppressionSchema = z
  .object({
    object: z.literal("email_suppression"),
    address: z.string().openapi({ example: "bounced@example.com" }),
    reason: z.enum(suppressionReasons),
    detail: z.string().nullable(),
    source_message_id: z.string(),
    created_at: z.string().datetime(),
  })
  .openapi("EmailSuppression");

const listSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(suppressionSchema),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  })
  .openapi("EmailSuppressionList");

const toSuppression = (row: SuppressionRow): z.infer<typeof suppressionSchema> => ({
  object: "email_suppression",
  address: row.address,
  reason: row.reason,
  detail: row.detail,
  source_message_id: row.sourceMessageId,
  created_at: row.createdAt.toISOString(),
});

const tags: ["admin"] = ["admin"];

const listRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/email-suppressions",
  operationId: "listEmailSuppressions",
  tags,
  summary: "List addresses email is not sent to (staff)",
  description: "Addresses SES reported as bouncing or complaining, in address order; email to them is `suppressed`.",
  request: {
    query: z.object({
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(100)
        .default(50)
        .openapi({ param: { name: "limit", in: "query" }, example: 50 }),
      starting_after: address("query", "starting_after").optional(),
      address: address("query", "address").optional(),
      reason: z
        .enum(suppressionReasons)
        .optional()
        .openapi({ param: { name: "reason", in: "query" } }),
    }),
  },
  responses: {
    200: jsonResponse(listSchema, "The suppressed addresses"),
    ...problemResponses(400, 401, 403, 429),
  },
});

const removeRoute = secured("super_admin", {
  method: "delete",
  path: "/v1/admin/email-suppressions/{address}",
  operationId: "removeEmailSuppression",
  tags,
  summary: "Allow email to a suppressed address again (staff; audited)",
  description: "For an address whose owner fixed the mailbox; a later bounce or complaint marks it again.",
  request: { params: z.object({ address: address("path", "address") }) },
  responses: {
    200: jsonResponse(suppressionSchema, "The removed suppression"),
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const suppressionRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const { rows, hasMore } = await readAs(c, (db) => listSuppressions(db, query));
    return c.json(
      {
        object: "list" as const,
        data: rows.map(toSuppression),
        has_more: hasMore,
        next_cursor: hasMore ? rows[rows.length - 1]!.address : null,
      },
      200,
    );
  })
  .openapi(removeRoute, async (c) => {
    const { address } = c.req.valid("param");
    const removed = await writeAs(c, (db, audit) => removeSuppression(db, audit, address));
    if (!removed) throw new ProblemError(404, "not-found", "Not found", "That address is not suppressed.");
    return c.json(toSuppression(removed), 200);
  });
