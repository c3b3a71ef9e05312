// Staff place and lift a legal hold on a customer's audit archive (docs/audit-retention.md).
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { getCustomer } from "../admin/customers.ts";
import { actorOf } from "../auth/principal.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { idParam } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import type { TenantContext } from "../platform/tenant-context.ts";
import { clearLegalHold, setLegalHold } from "./legal-hold.ts";

const reasonBody = z
  .strictObject({
    reason: text({ min: 1, max: 1000 }).openapi({ example: "Litigation hold, matter 2026-041" }),
  })
  .openapi("LegalHoldRequest");

const legalHoldSchema = z
  .object({
    object: z.literal("legal_hold"),
    customer_id: z.string().uuid(),
    reason: z.string().openapi({ example: "Litigation hold, matter 2026-041" }),
    set_by: z.string().uuid().nullable(),
    set_at: z.string().datetime({ offset: true }),
  })
  .openapi("LegalHold");

const setRoute = secured("super_admin", {
  method: "put",
  path: "/v1/admin/customers/{id}/legal-hold",
  operationId: "setLegalHold",
  tags: ["admin"],
  summary: "Place (or update) a legal hold on a customer's audit archive (SecureBase staff)",
  description:
    "While held, retention deletes none of the customer's archived audit events. Audited in the customer's " +
    "trail as `customer.legal_hold_set`.",
  request: { params: idParam, body: { content: { "application/json": { schema: reasonBody } }, required: true } },
  responses: {
    200: { description: "The hold", content: { "application/json": { schema: legalHoldSchema } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const clearRoute = secured("super_admin", {
  method: "delete",
  path: "/v1/admin/customers/{id}/legal-hold",
  operationId: "clearLegalHold",
  tags: ["admin"],
  summary: "Lift the legal hold on a customer's audit archive (SecureBase staff)",
  description:
    "Retention applies again from the next daily run. Audited as `customer.legal_hold_cleared` with the reason.",
  request: { params: idParam, body: { content: { "application/json": { schema: reasonBody } }, required: true } },
  responses: {
    204: { description: "The hold is lifted" },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

/** What staff write about a customer is audited in that customer's chain (as worker/admin/routes.ts). */
function staffContextFor(
  c: AppContext,
  customerId: string,
): { context: TenantContext; actor: ReturnType<typeof actorOf> } {
  const principal = c.var.principal;
  return {
    context: { customerId, superAdmin: true, userId: principal.userId, role: principal.role },
    actor: actorOf(principal),
  };
}

async function requireCustomer(c: AppContext, id: string): Promise<void> {
  if (!(await readAs(c, (db) => getCustomer(db, id)))) throw notFound("customer", id);
}

export const legalHoldRoutes = new OpenAPIHono<AppEnv>()
  .openapi(setRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    await requireCustomer(c, id);
    const hold = await writeAs(
      c,
      (db, audit) => setLegalHold(db, audit, id, reason, c.var.principal.userId ?? null),
      staffContextFor(c, id),
    );
    return c.json(
      {
        object: "legal_hold" as const,
        customer_id: hold.customerId,
        reason: hold.reason,
        set_by: hold.setBy,
        set_at: hold.setAt.toISOString(),
      },
      200,
    );
  })
  .openapi(clearRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    await requireCustomer(c, id);
    const cleared = await writeAs(c, (db, audit) => clearLegalHold(db, audit, id, reason), staffContextFor(c, id));
    if (!cleared) throw notFound("legal hold on customer", id);
    return c.body(null, 204);
  });
