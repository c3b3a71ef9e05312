// GET/PATCH /v1/security-policy: the customer's sign-in policy (docs/auth.md, "Security policy").
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { signInMethods } from "../../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { problemResponses } from "../http/problem.ts";
import { jsonResponse, secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { POLICY_BOUNDS, securityPolicyOf, storePolicy, type SecurityPolicy } from "./security-policy.ts";

const { session_lifetime_minutes: lifetime, idle_timeout_minutes: idle } = POLICY_BOUNDS;
const methodsField = z
  .array(z.enum(signInMethods))
  .min(1)
  .max(2)
  .refine((m) => new Set(m).size === m.length, "must not repeat a method");

const policySchema = z
  .object({
    object: z.literal("security_policy"),
    mfa_required: z.boolean().openapi({
      description: "Members must sign in with a second factor (default: on for healthcare and gov_federal)",
    }),
    session_lifetime_minutes: z.number().int().openapi({ example: 720 }),
    idle_timeout_minutes: z.number().int().openapi({ example: 60 }),
    allowed_sign_in_methods: z.array(z.enum(signInMethods)).openapi({ example: ["password", "passkey"] }),
  })
  .openapi("SecurityPolicy");

const patchSchema = z
  .strictObject({
    mfa_required: z.boolean().optional(),
    session_lifetime_minutes: z
      .number()
      .int()
      .min(lifetime.min)
      .max(lifetime.max)
      .optional()
      .openapi({
        description: `${lifetime.min}–${lifetime.max} minutes`,
      }),
    idle_timeout_minutes: z
      .number()
      .int()
      .min(idle.min)
      .max(idle.max)
      .optional()
      .openapi({
        description: `${idle.min}–${idle.max} minutes`,
      }),
    allowed_sign_in_methods: methodsField.optional().openapi({ description: "A non-empty subset of the methods" }),
  })
  .openapi("SecurityPolicyUpdate");

const getRoute = secured("security_policy:read", {
  method: "get",
  path: "/v1/security-policy",
  operationId: "getSecurityPolicy",
  tags: ["auth"],
  summary: "Your organization's sign-in security policy",
  description: "The stored policy, or your tier's defaults where none was set.",
  responses: { 200: jsonResponse(policySchema, "The effective policy"), ...problemResponses(401, 403) },
});

const patchRoute = secured("security_policy:write", {
  method: "patch",
  path: "/v1/security-policy",
  operationId: "updateSecurityPolicy",
  tags: ["auth"],
  summary: "Change your organization's sign-in security policy",
  description:
    "Changes the fields sent; the others keep their effective value. Out-of-bounds values are a 422 naming the " +
    "field. Applies from the next sign-in; audited with the before and after, and emitted as " +
    "`security_policy.updated`.",
  request: { body: { content: { "application/json": { schema: patchSchema } }, required: true } },
  responses: { 200: jsonResponse(policySchema, "The new policy"), ...problemResponses(401, 403, 422) },
});

const toJson = (policy: SecurityPolicy) => ({
  object: "security_policy" as const,
  mfa_required: policy.mfaRequired,
  session_lifetime_minutes: policy.sessionLifetimeMinutes,
  idle_timeout_minutes: policy.idleTimeoutMinutes,
  allowed_sign_in_methods: policy.allowedSignInMethods,
});

export const securityPolicyRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getRoute, async (c) => {
    const policy = await readAs(c, (db) => securityPolicyOf(db, c.var.principal.customerId));
    return c.json(toJson(policy), 200);
  })
  .openapi(patchRoute, async (c) => {
    const body = c.req.valid("json");
    const customerId = c.var.principal.customerId;
    const after = await writeAs(c, async (db, audit, emit) => {
      const before = await securityPolicyOf(db, customerId);
      const next: SecurityPolicy = {
        mfaRequired: body.mfa_required ?? before.mfaRequired,
        sessionLifetimeMinutes: body.session_lifetime_minutes ?? before.sessionLifetimeMinutes,
        idleTimeoutMinutes: body.idle_timeout_minutes ?? before.idleTimeoutMinutes,
        allowedSignInMethods: body.allowed_sign_in_methods ?? before.allowedSignInMethods,
      };
      await storePolicy(db, customerId, next);
      const change = { before: toJson(before), after: toJson(next) };
      const { object: _b, ...beforeFields } = change.before;
      const { object: _a, ...afterFields } = change.after;
      await emit("security_policy.updated", { before: beforeFields, after: afterFields });
      await audit({
        action: "security_policy.updated",
        resourceType: "security_policy",
        resourceId: customerId,
        summary: "Sign-in security policy changed",
        data: { before: beforeFields, after: afterFields },
      });
      return next;
    });
    return c.json(toJson(after), 200);
  });
