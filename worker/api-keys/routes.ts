// API keys: create (secret shown once), list, read, revoke, rotate with a grace period.
// Thin HTTP layer: validation and cache invalidation here, the rules in ./api-keys.ts.
import { OpenAPIHono } from "@hono/zod-openapi";
import { actorOf } from "../auth/principal.ts";
import { forgetPrincipal } from "../auth/principal-cache.ts";
import { revokeKeySessions } from "../auth/revocation.ts";
import type { AppEnv } from "../http/context.ts";
import { pageSchema, pageOf } from "../http/pagination.ts";
import { invalidField, notFound, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { toHex } from "../platform/encoding.ts";
import {
  assertWithinCreator,
  createKey,
  DEFAULT_GRACE_SECONDS,
  getKey,
  listKeys,
  revokeKey,
  rotateKey,
} from "./api-keys.ts";
import {
  apiKeyIdParamSchema,
  apiKeySchema,
  createApiKeyBodySchema,
  listApiKeysQuerySchema,
  newApiKeySchema,
  rotateApiKeyBodySchema,
  toApiKey,
} from "./schemas.ts";

const tags: ["api keys"] = ["api keys"];
const location = (id: string) => ({ Location: `/v1/api-keys/${id}` });

const createRoute = secured("api_keys:write", {
  method: "post",
  path: "/v1/api-keys",
  operationId: "createApiKey",
  tags,
  summary: "Create an API key (the secret is shown once)",
  description:
    "Creates a key with the given scopes. The response's `key` is the full secret: it is shown only in this " +
    "response and cannot be retrieved later (only its SHA-256 is stored). A key can never hold a permission " +
    "its creator lacks (403 `scope-exceeds-creator`). Safe to retry with `Idempotency-Key`.",
  request: { body: { content: { "application/json": { schema: createApiKeyBodySchema } }, required: true } },
  responses: {
    201: { description: "The new key, with its secret", content: { "application/json": { schema: newApiKeySchema } } },
    ...problemResponses(400, 401, 403, 409, 422, 429),
  },
});

const listRoute = secured("api_keys:read", {
  method: "get",
  path: "/v1/api-keys",
  operationId: "listApiKeys",
  tags,
  summary: "List API keys, newest first",
  description: "Never includes secrets. `status` filters (default `active`: neither revoked nor expired).",
  request: { query: listApiKeysQuerySchema },
  responses: {
    200: {
      description: "A page of keys",
      content: { "application/json": { schema: pageSchema(apiKeySchema, "ApiKeyList") } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

const getRoute = secured("api_keys:read", {
  method: "get",
  path: "/v1/api-keys/{id}",
  operationId: "getApiKey",
  tags,
  summary: "Retrieve an API key (never its secret)",
  description:
    "The key's name, prefix, scopes, expiry, last use and rotation links. The secret is never returned after creation.",
  request: { params: apiKeyIdParamSchema },
  responses: {
    200: { description: "The key", content: { "application/json": { schema: apiKeySchema } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const revokeRoute = secured("api_keys:write", {
  method: "delete",
  path: "/v1/api-keys/{id}",
  operationId: "revokeApiKey",
  tags,
  summary: "Revoke an API key",
  description:
    "The key and every session token exchanged for it stop working at once on this edge location; elsewhere " +
    "within the auth cache's staleness bound (30 s per isolate, KV propagation across locations). Revoking a " +
    "revoked key returns it unchanged.",
  request: { params: apiKeyIdParamSchema },
  responses: {
    200: { description: "The revoked key", content: { "application/json": { schema: apiKeySchema } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const rotateRoute = secured("api_keys:write", {
  method: "post",
  path: "/v1/api-keys/{id}/rotate",
  operationId: "rotateApiKey",
  tags,
  summary: "Rotate an API key: a new secret, the old one valid for a grace period",
  description:
    "Creates a new key with the same name, mode, scopes and expiry, and shows its secret once. The old key keeps " +
    "working for `grace_period_seconds` (0–604800, i.e. at most 7 days; default 86400), never past its own " +
    "expiry; 0 revokes it at once. A revoked, expired or already rotated key cannot be rotated (409). You must " +
    "hold every scope of the key.",
  request: {
    params: apiKeyIdParamSchema,
    body: { content: { "application/json": { schema: rotateApiKeyBodySchema } }, required: false },
  },
  responses: {
    201: { description: "The new key, with its secret", content: { "application/json": { schema: newApiKeySchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 422, 429),
  },
});

export const apiKeyRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createRoute, async (c) => {
    const principal = c.var.principal;
    const body = c.req.valid("json");
    const expiresAt = body.expires_at ? new Date(body.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw invalidField("expires_at", "not_in_future", "must be in the future");
    assertWithinCreator(principal, body.scopes);
    const { row, key } = await writeAs(c, (db, audit, emit) =>
      createKey(db, audit, emit, principal.customerId, actorOf(principal), {
        name: body.name,
        mode: body.mode,
        scopes: body.scopes,
        expiresAt,
      }),
    );
    return c.json({ ...toApiKey(row), key }, 201, location(row.id));
  })
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const { customerId } = c.var.principal;
    const rows = await readAs(c, (db) => listKeys(db, customerId, query));
    return c.json(pageOf(rows, query.limit, toApiKey), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { customerId } = c.var.principal;
    const row = await readAs(c, (db) => getKey(db, customerId, id));
    if (!row) throw notFound("API key", id);
    return c.json(toApiKey(row), 200);
  })
  .openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { customerId } = c.var.principal;
    const result = await writeAs(c, (db, audit, emit) => revokeKey(db, audit, emit, customerId, id));
    if (!result) throw notFound("API key", id);
    // After the commit (and again for an already revoked key: harmless, and it repairs a cache
    // invalidation that failed after an earlier commit).
    await Promise.all([
      forgetPrincipal(c.env.AUTH_CACHE, toHex(result.row.keyHash)),
      revokeKeySessions(c.env.AUTH_CACHE, id),
    ]);
    return c.json(toApiKey(result.row), 200);
  })
  .openapi(rotateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const grace = c.req.valid("json").grace_period_seconds ?? DEFAULT_GRACE_SECONDS;
    const principal = c.var.principal;
    const result = await writeAs(c, (db, audit, emit) =>
      rotateKey(db, audit, emit, principal, actorOf(principal), id, grace),
    );
    if (!result) throw notFound("API key", id);
    // The old key's cached principal carries its previous expiry: drop it so the new one applies
    // now. Both helpers clear this isolate's memory before touching KV; a KV failure is logged
    // rather than thrown, since a 500 here would lose the new secret for good (a retry is a 409).
    const invalidated = await Promise.allSettled([
      forgetPrincipal(c.env.AUTH_CACHE, toHex(result.old.keyHash)),
      // Session tokens exchanged for the old key stop when its grace period ends, not later.
      revokeKeySessions(c.env.AUTH_CACHE, id, Date.now() + grace * 1000),
    ]);
    for (const outcome of invalidated) {
      if (outcome.status === "rejected")
        console.error(`rotating API key ${id}: auth cache invalidation failed:`, outcome.reason);
    }
    return c.json({ ...toApiKey(result.created), key: result.key }, 201, location(result.created.id));
  });
