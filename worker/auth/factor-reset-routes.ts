// Resetting a member's second factors (docs/auth.md, "Second factors"): by the customer's admin
// (users:write) or by SecureBase staff for any customer (audited as staff). Mounted by the users
// and admin route modules, whose paths these are.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../http/context.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { writeAs } from "../http/transactions.ts";
import { actorOf } from "./principal.ts";
import { resetFactors } from "./factors.ts";
import { revokeSession } from "./revocation.ts";

const uuidParam = (name: string) =>
  z
    .string()
    .uuid()
    .openapi({ param: { name, in: "path" }, example: "0190a6f0-9c1e-7a55-8a0b-3f2d2f6b9c11" });

const DESCRIPTION =
  "For a member who lost their authenticator: removes their TOTP authenticator and recovery codes, ends all their " +
  "sessions and emails them. Their next sign-in continues without a second factor, or with enrolment where the " +
  "policy requires one.";

const memberRoute = secured("users:write", {
  method: "post",
  path: "/v1/users/{id}/mfa/reset",
  operationId: "resetUserFactors",
  tags: ["users"],
  summary: "Reset a member's second factors (they sign in again and re-enrol)",
  description: DESCRIPTION,
  request: { params: z.object({ id: uuidParam("id") }) },
  responses: { 204: { description: "Reset" }, ...problemResponses(401, 403, 404) },
});

const staffRoute = secured("super_admin", {
  method: "post",
  path: "/v1/admin/customers/{customer_id}/users/{id}/mfa/reset",
  operationId: "resetCustomerUserFactors",
  tags: ["admin"],
  summary: "Staff: reset a customer member's second factors",
  description: `${DESCRIPTION} Audited in the customer's trail with the staff member as the actor.`,
  request: { params: z.object({ customer_id: uuidParam("customer_id"), id: uuidParam("id") }) },
  responses: { 204: { description: "Reset" }, ...problemResponses(401, 403, 404) },
});

async function reset(c: AppContext, customerId: string, userId: string, staff: boolean) {
  const principal = c.var.principal;
  const as = staff
    ? {
        context: { customerId, superAdmin: true, userId: principal.userId, role: principal.role },
        actor: actorOf(principal),
      }
    : undefined;
  const ended = await writeAs(c, (db, audit, emit) => resetFactors(db, audit, emit, { customerId, userId }), as);
  if (!ended) throw notFound("user", userId);
  await Promise.all(ended.map((s) => revokeSession(c.env.AUTH_CACHE, s.id, s.expiresAt.getTime())));
  return c.body(null, 204);
}

export const memberFactorResetRoutes = new OpenAPIHono<AppEnv>().openapi(memberRoute, (c) =>
  reset(c, c.var.principal.customerId, c.req.valid("param").id, false),
);

export const staffFactorResetRoutes = new OpenAPIHono<AppEnv>().openapi(staffRoute, (c) => {
  const { customer_id: customerId, id } = c.req.valid("param");
  return reset(c, customerId, id, true);
});
