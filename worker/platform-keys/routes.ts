// Platform API keys (docs/auth.md, "Platform keys"): staff create (secret shown once), list and
// revoke them. Thin HTTP layer; the rules are in ./platform-keys.ts.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { platformScopes } from "../../db/schema.ts";
import { forgetPrincipal } from "../auth/principal-cache.ts";
import { revokeKeySessions } from "../auth/revocation.ts";
import type { AppEnv } from "../http/context.ts";
import { idParam } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { jsonContent, jsonResponse, secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { toHex } from "../platform/encoding.ts";
import { createPlatformKey, listPlatformKeys, revokePlatformKey, type PlatformKeyRow } from "./platform-keys.ts";

const platformKeySchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("platform_api_key"),
    name: z.string(),
    prefix: z.string().openapi({ example: "sb_platform_Ab12Cd" }),
    scopes: z.array(z.enum(platformScopes)),
    created_by: z.string().uuid(),
    created_at: z.string().datetime(),
    revoked_at: z.string().datetime().nullable(),
  })
  .openapi("PlatformApiKey");

const newPlatformKeySchema = platformKeySchema
  .extend({ key: z.string().openapi({ description: "The secret: shown in this response only." }) })
  .openapi("NewPlatformApiKey");

const createBodySchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "usage collector us-east-1" }),
    scopes: z
      .array(z.enum(platformScopes))
      .min(1)
      .openapi({ example: ["usage:ingest"] }),
  })
  .strict()
  .openapi("CreatePlatformApiKey");

const listSchema = z
  .object({ object: z.literal("list"), data: z.array(platformKeySchema) })
  .openapi("PlatformApiKeyList");

const toPlatformKey = (row: PlatformKeyRow): z.infer<typeof platformKeySchema> => ({
  id: row.id,
  object: "platform_api_key",
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes,
  created_by: row.createdBy,
  created_at: row.createdAt.toISOString(),
  revoked_at: row.revokedAt?.toISOString() ?? null,
});

const tags: ["admin"] = ["admin"];

const createRoute = secured("super_admin", {
  method: "post",
  path: "/v1/admin/api-keys",
  operationId: "createPlatformApiKey",
  tags,
  summary: "Create a platform API key (staff; the secret is shown once)",
  description:
    "A SecureBase machine credential holding platform scopes only (`usage:ingest`: report usage with " +
    "POST /v1/admin/usage). It belongs to no customer and can call no other route. Only its SHA-256 is stored.",
  request: { body: { content: jsonContent(createBodySchema), required: true } },
  responses: {
    201: jsonResponse(newPlatformKeySchema, "The new key, with its secret"),
    ...problemResponses(400, 401, 403, 422, 429),
  },
});

const listRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/api-keys",
  operationId: "listPlatformApiKeys",
  tags,
  summary: "List platform API keys, newest first (staff)",
  description: "Every platform key, revoked ones included. Never includes secrets.",
  responses: {
    200: jsonResponse(listSchema, "The platform keys"),
    ...problemResponses(400, 401, 403, 429),
  },
});

const revokeRoute = secured("super_admin", {
  method: "delete",
  path: "/v1/admin/api-keys/{id}",
  operationId: "revokePlatformApiKey",
  tags,
  summary: "Revoke a platform API key (staff)",
  description:
    "The key stops working at once on this edge location, elsewhere within the auth cache's bound. Revoking a " +
    "revoked key returns it unchanged.",
  request: { params: idParam },
  responses: {
    200: jsonResponse(platformKeySchema, "The revoked key"),
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const platformKeyRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createRoute, async (c) => {
    const principal = c.var.principal;
    const body = c.req.valid("json");
    const { row, key } = await writeAs(c, (db, audit) =>
      createPlatformKey(db, audit, { userId: principal.userId!, customerId: principal.customerId }, body),
    );
    return c.json({ ...toPlatformKey(row), key }, 201, { Location: `/v1/admin/api-keys/${row.id}` });
  })
  .openapi(listRoute, async (c) => {
    const rows = await readAs(c, (db) => listPlatformKeys(db));
    return c.json({ object: "list" as const, data: rows.map(toPlatformKey) }, 200);
  })
  .openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const principal = c.var.principal;
    const result = await writeAs(c, (db, audit) => revokePlatformKey(db, audit, principal.userId!, id));
    if (!result) throw notFound("Platform API key", id);
    // After the commit, as for customer keys: a new cache generation and this isolate's mark.
    await Promise.all([
      forgetPrincipal(c.env.AUTH_CACHE, toHex(result.row.keyHash)),
      revokeKeySessions(c.env.AUTH_CACHE, id),
    ]);
    return c.json(toPlatformKey(result.row), 200);
  });
