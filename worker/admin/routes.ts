// Platform administration (docs/auth.md, "Permissions"): SecureBase staff onboard customers, change
// their tier and tax rate, and suspend or reactivate them. Every route is `super_admin` only.
import { staffFactorResetRoutes } from "../auth/factor-reset-routes.ts";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { tiers } from "../../db/schema.ts";
import { actorOf } from "../auth/principal.ts";
import { forgetPrincipal } from "../auth/principal-cache.ts";
import { setCustomerSuspended } from "../auth/revocation.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { idParam, pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { invalidField, notFound, PROBLEM_CONTENT_TYPE, problemResponses, problemSchema } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { TenantContext } from "../platform/tenant-context.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { getCustomer, listCustomers, onboardCustomer, updateCustomer, type CustomerRow } from "./customers.ts";
import { text } from "../http/input.ts";
import {
  billingDetailsPatchSchema,
  billingDetailsSchema,
  certificateSchema,
  taxStatusSchema,
  toBillingDetails,
} from "../billing/details.ts";

const tierSchema = z.enum(tiers).openapi({ description: "Product tier", example: "healthcare" });
const statusSchema = z.enum(["active", "suspended", "closed"]).openapi({ example: "active" });
const taxRateSchema = z
  .number()
  .int()
  .min(0)
  .max(10_000)
  .openapi({ description: "Tax rate in basis points (800 = 8%)", example: 800 });

const paymentTermsSchema = z
  .number()
  .int()
  .min(0)
  .max(365)
  .openapi({ description: "Invoices are due this many days after issue (net 30 by default)", example: 30 });

const jurisdictionSchema = z.enum(["us", "eu", "fedramp"]).openapi({
  description:
    "Where the customer's Durable Object state and R2 objects are created (docs/residency.md); fixed at onboarding",
  example: "us",
});

const customerSchema = z
  .object({
    id: z.string().uuid().openapi({ example: "0197a5c2-3e4f-7a10-9b2c-5d6e7f809a1b" }),
    object: z.literal("customer"),
    name: z.string().openapi({ example: "Acme Health" }),
    email: z.string().openapi({ example: "it-ops@acme-health.example" }),
    tier: tierSchema,
    status: statusSchema,
    tax_rate_bps: taxRateSchema,
    tax_status: taxStatusSchema,
    tax_exempt_certificate: z.string().nullable(),
    billing_details: billingDetailsSchema,
    payment_terms_days: paymentTermsSchema,
    data_jurisdiction: jurisdictionSchema,
    past_due_since: z.string().datetime({ offset: true }).nullable().openapi({
      description: "When dunning marked the customer past due (docs/billing.md, Dunning); null once settled",
      example: null,
    }),
    created_at: z.string().datetime({ offset: true }),
  })
  .openapi("Customer");

const adminInviteSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string().openapi({ example: "ada@acme-health.example" }),
    role: z.literal("admin"),
    expires_at: z.string().datetime({ offset: true }),
  })
  .openapi("AdminInvite");

const onboardedSchema = z
  .object({ customer: customerSchema, admin_invite: adminInviteSchema })
  .openapi("OnboardedCustomer");

const createBodySchema = z
  .strictObject({
    name: text({ min: 1, max: 200 }).openapi({ example: "Acme Health" }),
    email: z
      .string()
      .trim()
      .email()
      .max(320)
      .openapi({ description: "Billing and operations contact", example: "it-ops@acme-health.example" }),
    tier: tierSchema,
    tax_rate_bps: taxRateSchema.default(800),
    tax_status: taxStatusSchema.optional().openapi({
      description: "Default `taxable`, except `gov_federal` customers: `exempt` with certificate `federal-agency`",
    }),
    tax_exempt_certificate: certificateSchema.optional(),
    billing_details: billingDetailsPatchSchema.optional(),
    data_jurisdiction: jurisdictionSchema
      .optional()
      .openapi({ description: "Default `fedramp` for `gov_federal`, else `us`; cannot be changed later" }),
    admin: z
      .strictObject({ email: z.string().trim().email().max(320).openapi({ example: "ada@acme-health.example" }) })
      .openapi({ description: "The customer's first admin, invited by email" }),
  })
  .openapi("CreateCustomerRequest", {
    example: {
      name: "Acme Health",
      email: "it-ops@acme-health.example",
      tier: "healthcare",
      tax_rate_bps: 800,
      admin: { email: "ada@acme-health.example" },
    },
  });

const updateBodySchema = z
  .strictObject({
    name: text({ min: 1, max: 200 }).optional().openapi({ example: "Acme Health Inc." }),
    tier: tierSchema.optional(),
    status: z.enum(["active", "suspended"]).optional().openapi({
      description:
        "`suspended` stops every API key, session token and login of the customer at once; `active` reactivates",
      example: "suspended",
    }),
    tax_rate_bps: taxRateSchema.optional(),
    tax_status: taxStatusSchema.optional(),
    tax_exempt_certificate: certificateSchema.nullable().optional(),
    billing_details: billingDetailsPatchSchema.optional(),
    payment_terms_days: paymentTermsSchema.optional(),
    reason: text({ min: 3, max: 500 }).optional().openapi({
      description: "Why staff make the change (e.g. a suspension): recorded in the customer's audit event",
      example: "Chargeback fraud under investigation, ticket 4711",
    }),
  })
  .refine(({ reason: _reason, ...change }) => Object.values(change).some((v) => v !== undefined), {
    message:
      "Send at least one of name, tier, status, tax_rate_bps, tax_status, tax_exempt_certificate, billing_details, payment_terms_days",
  })
  .openapi("UpdateCustomerRequest", { minProperties: 1, example: { tier: "fintech" } });

const createRoute = secured("super_admin", {
  method: "post",
  path: "/v1/admin/customers",
  operationId: "createCustomer",
  tags: ["admin"],
  summary: "Onboard a customer and invite its first admin (SecureBase staff)",
  description:
    "Creates the customer and a 7-day invite for its first `admin` user, queues the invite email, and records " +
    "`customer.created` in the new customer's audit trail, all in one transaction. The invite token goes only to the admin's email, never to staff.",
  request: { body: { content: { "application/json": { schema: createBodySchema } }, required: true } },
  responses: {
    201: {
      description: "The customer and its admin invite",
      content: { "application/json": { schema: onboardedSchema } },
    },
    ...problemResponses(400, 401, 403, 422, 429),
  },
});

const listRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/customers",
  operationId: "listCustomers",
  tags: ["admin"],
  summary: "List every customer, newest first (SecureBase staff)",
  description: "Every customer on the platform, newest first, optionally filtered by status and tier.",
  request: {
    query: paginationQuerySchema.extend({
      status: statusSchema.optional().openapi({ param: { name: "status", in: "query" }, example: "suspended" }),
      tier: tierSchema.optional().openapi({ param: { name: "tier", in: "query" }, example: "fintech" }),
    }),
  },
  responses: {
    200: {
      description: "A page of customers",
      content: { "application/json": { schema: pageSchema(customerSchema, "CustomerList") } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

const getRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/customers/{id}",
  operationId: "getCustomer",
  tags: ["admin"],
  summary: "Retrieve one customer (SecureBase staff)",
  description: "One customer with its tier, status, tax rate, tax status and billing details.",
  request: { params: idParam },
  responses: {
    200: { description: "The customer", content: { "application/json": { schema: customerSchema } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const updateRoute = secured("super_admin", {
  method: "patch",
  path: "/v1/admin/customers/{id}",
  operationId: "updateCustomer",
  tags: ["admin"],
  summary:
    "Change a customer's name, tier, tax rate, tax status or billing details, or suspend / reactivate it (SecureBase staff)",
  description:
    "Audited in the customer's own trail as `customer.updated`, or `customer.suspended` / `customer.reactivated` when " +
    "the status changes. Suspension takes effect on the next request: cached key principals are purged and the " +
    "customer is marked suspended for session tokens; logins are refused while suspended. `exempt` needs " +
    "`tax_exempt_certificate` and `reverse_charge` the billing tax id (422); invoices already issued keep what applied.",
  request: { params: idParam, body: { content: { "application/json": { schema: updateBodySchema } }, required: true } },
  responses: {
    200: { description: "The customer after the change", content: { "application/json": { schema: customerSchema } } },
    ...problemResponses(400, 401, 403, 404, 422, 429),
    409: {
      description: "The customer is closed and can no longer be changed",
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
    },
  },
});

function toCustomer(row: CustomerRow): z.infer<typeof customerSchema> {
  return {
    id: row.id,
    object: "customer",
    name: row.name,
    email: row.email,
    tier: row.tier,
    status: row.status,
    tax_rate_bps: row.taxRateBps,
    tax_status: row.taxStatus,
    tax_exempt_certificate: row.taxExemptCertificate,
    billing_details: toBillingDetails(row),
    payment_terms_days: row.paymentTermsDays,
    data_jurisdiction: row.dataJurisdiction,
    past_due_since: row.pastDueSince?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

/** A staff context bound to `customerId`: what staff writes about a customer is audited in its chain. */
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

export const adminRoutes = new OpenAPIHono<AppEnv>()
  .route("/", staffFactorResetRoutes)
  .openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const adminEmail = body.admin.email.toLowerCase();
    // Login is by email alone, so an address can belong to one user platform-wide.
    const [taken] = await c.var.db.system("SELECT 1 FROM app.find_login($1)", [adminEmail]);
    if (taken) throw invalidField("admin.email", "already_exists", "already belongs to a user");

    const id = uuidv7();
    const onboarded = await writeAs(
      c,
      (db, audit, emit) =>
        onboardCustomer(db, audit, emit, {
          id,
          name: body.name,
          email: body.email.toLowerCase(),
          tier: body.tier,
          taxRateBps: body.tax_rate_bps,
          taxStatus: body.tax_status,
          taxExemptCertificate: body.tax_exempt_certificate,
          billingDetails: body.billing_details,
          dataJurisdiction: body.data_jurisdiction,
          adminEmail,
          staffUserId: c.var.principal.userId,
        }),
      staffContextFor(c, id),
    );
    c.header("location", `/v1/admin/customers/${id}`);
    return c.json(
      {
        customer: toCustomer(onboarded.customer),
        admin_invite: {
          id: onboarded.invite.id,
          email: onboarded.invite.email,
          role: "admin" as const,
          expires_at: onboarded.invite.expiresAt.toISOString(),
        },
      },
      201,
    );
  })
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    // The staff principal's own context is a super-admin one: the staff policy shows every customer.
    const rows = await readAs(c, (db) => listCustomers(db, query));
    return c.json(pageOf(rows, query.limit, toCustomer), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await readAs(c, (db) => getCustomer(db, id));
    if (!row) throw notFound("customer", id);
    return c.json(toCustomer(row), 200);
  })
  .openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    if (body.status === "suspended" && id === c.var.principal.customerId) {
      throw invalidField("status", "invalid_value", "cannot suspend the customer your own staff account belongs to");
    }
    const result = await writeAs(
      c,
      (db, audit) =>
        updateCustomer(db, audit, id, {
          name: body.name,
          tier: body.tier,
          status: body.status,
          taxRateBps: body.tax_rate_bps,
          taxStatus: body.tax_status,
          taxExemptCertificate: body.tax_exempt_certificate,
          billingDetails: body.billing_details,
          paymentTermsDays: body.payment_terms_days,
          reason: body.reason,
        }),
      staffContextFor(c, id),
    );
    // After commit: make the status effective at the edge on the very next request.
    const kv = c.env.AUTH_CACHE;
    if (body.status === "suspended") {
      await Promise.all(result.keyHashes.map((hash) => forgetPrincipal(kv, hash)));
      await setCustomerSuspended(kv, id, true);
    } else if (body.status === "active") {
      await setCustomerSuspended(kv, id, false);
    }
    return c.json(toCustomer(result.customer), 200);
  });
