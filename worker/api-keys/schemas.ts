// Wire shapes of the API-key endpoints (named OpenAPI schemas) and the row -> object mapping.
import { z } from "@hono/zod-openapi";
import { permissions } from "../auth/permissions.ts";
import { paginationQuerySchema } from "../http/pagination.ts";
import { DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS, type ApiKeyRow } from "./api-keys.ts";
import { text } from "../http/input.ts";

const timestamp = (description: string, example?: string) =>
  z
    .string()
    .datetime({ offset: true })
    .nullable()
    .openapi({ description, ...(example ? { example } : {}) });

export const apiKeySchema = z
  .object({
    id: z.string().uuid().openapi({ example: "019a1b2c-3d4e-7f80-9a1b-2c3d4e5f6a7b" }),
    object: z.literal("api_key"),
    name: z.string().openapi({ example: "CI deploy" }),
    mode: z.enum(["live", "test"]).openapi({ example: "live" }),
    prefix: z.string().openapi({
      description: "First 14 characters of the key, to recognise it; never enough to use it",
      example: "sb_live_4fGh7K",
    }),
    scopes: z
      .array(z.string())
      .openapi({ description: "Permissions the key holds", example: ["invoices:read", "usage:read"] }),
    expires_at: timestamp("When the key stops working; null = never", "2027-01-01T00:00:00.000Z"),
    last_used_at: timestamp("Last authentication with the key (accurate to about 5 minutes); null = never used"),
    revoked_at: timestamp("When the key was revoked; null = not revoked"),
    created_at: z.string().datetime({ offset: true }).openapi({ example: "2026-11-02T09:30:00.000Z" }),
    rotated_from: z.string().uuid().nullable().openapi({ description: "The key this one replaced by rotation" }),
    rotated_to: z.string().uuid().nullable().openapi({ description: "The key that replaced this one by rotation" }),
    created_by: z
      .object({
        type: z.enum(["user", "api_key", "system", "staff"]).openapi({ example: "user" }),
        id: z.string().openapi({ example: "019a1b2c-0000-7000-8000-000000000001" }),
      })
      .nullable()
      .openapi({ description: "Who created the key (null for keys provisioned by SecureBase)" }),
  })
  .openapi("ApiKey");

export const newApiKeySchema = apiKeySchema
  .extend({
    key: z.string().openapi({
      description: "The full secret. Shown only in this response (create or rotate) and never again: store it now.",
      example: "sb_live_4fGh7Kq2mZ8xP1wR5tY9uB3nC6vD0eA2",
    }),
  })
  .openapi("NewApiKey");

export const createApiKeyBodySchema = z
  .strictObject({
    name: text({ min: 1, max: 100 }).openapi({ description: "1–100 characters", example: "CI deploy" }),
    mode: z
      .enum(["live", "test"])
      .default("live")
      .openapi({ description: "Key prefix `sb_live_` or `sb_test_`", example: "live" }),
    scopes: z
      .array(z.enum(permissions, { error: "Unknown permission (see GET /v1/permissions)" }))
      .min(1)
      .max(permissions.length)
      .openapi({
        description: "Permissions for the key; each must be one you hold yourself (else 403 scope-exceeds-creator)",
        example: ["invoices:read", "usage:read"],
      }),
    expires_at: z.string().datetime({ offset: true }).nullable().optional().openapi({
      description: "ISO 8601 time in the future when the key stops working; omit for no expiry",
      example: "2027-01-01T00:00:00Z",
    }),
  })
  .openapi("CreateApiKeyRequest");

export const rotateApiKeyBodySchema = z
  .strictObject({
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_SECONDS)
      .default(DEFAULT_GRACE_SECONDS)
      .openapi({
        description: `How long the old key keeps working, 0–${MAX_GRACE_SECONDS} s (7 days); default ${DEFAULT_GRACE_SECONDS} (24 h). 0 revokes it at once.`,
        example: 3600,
      }),
  })
  .openapi("RotateApiKeyRequest");

export const listApiKeysQuerySchema = paginationQuerySchema.extend({
  status: z
    .enum(["active", "revoked", "expired", "all"])
    .default("active")
    .openapi({
      param: { name: "status", in: "query" },
      description:
        "`active` (default): not revoked and not expired; `revoked`; `expired` (not revoked, past expires_at); `all`",
      example: "active",
    }),
});

export { idParam as apiKeyIdParamSchema } from "../http/pagination.ts";

const iso = (value: Date | null) => value?.toISOString() ?? null;

export function toApiKey(row: ApiKeyRow): z.infer<typeof apiKeySchema> {
  return {
    id: row.id,
    object: "api_key",
    name: row.name,
    mode: row.mode,
    prefix: row.prefix,
    scopes: row.scopes,
    expires_at: iso(row.expiresAt),
    last_used_at: iso(row.lastUsedAt),
    revoked_at: iso(row.revokedAt),
    created_at: row.createdAt.toISOString(),
    rotated_from: row.rotatedFrom,
    rotated_to: row.rotatedTo,
    created_by: row.createdByType && row.createdById ? { type: row.createdByType, id: row.createdById } : null,
  };
}
