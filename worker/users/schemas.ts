// OpenAPI schemas of the users, invites and roles API, and the row -> response mappers.
// Password hashes, token hashes and platform roles never leave through these.
import { z } from "@hono/zod-openapi";
import { roles, type userInvites, type users } from "../../db/schema.ts";
import { text } from "../http/input.ts";
import { browserSessionFields } from "../auth/browser-session.ts";
import { passwordField } from "../auth/password-rules.ts";

export type UserRow = typeof users.$inferSelect;
export type InviteRow = typeof userInvites.$inferSelect;

export const roleSchema = z.enum(roles).openapi("Role", { example: "developer" });
export const userStatusSchema = z.enum(["active", "deactivated"]).openapi("UserStatus");
export const inviteStatusSchema = z.enum(["pending", "accepted", "revoked", "expired"]).openapi("InviteStatus");
export type InviteStatus = z.infer<typeof inviteStatusSchema>;

const iso = (value: Date | null) => (value === null ? null : value.toISOString());
const timestamp = z.string().datetime({ offset: true });

export { idParam } from "../http/pagination.ts";

export const userSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("user"),
    email: z.string().openapi({ example: "ada@acme-health.example" }),
    name: z.string().openapi({ example: "Ada Lovelace" }),
    role: roleSchema,
    status: userStatusSchema,
    super_admin: z
      .boolean()
      .openapi({ description: "SecureBase platform staff (granted by the platform, never through this API)" }),
    last_login_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .openapi("User");

export const toUser = (row: UserRow): z.infer<typeof userSchema> => ({
  id: row.id,
  object: "user",
  email: row.email,
  name: row.name,
  role: row.role,
  status: row.status,
  super_admin: row.platformRole === "super_admin",
  last_login_at: iso(row.lastLoginAt),
  created_at: row.createdAt.toISOString(),
});

export const updateUserSchema = z
  .strictObject({
    name: text({ min: 1, max: 200 }).optional().openapi({ example: "Ada King" }),
    role: roleSchema.optional(),
    status: userStatusSchema
      .optional()
      .openapi({ description: "`deactivated` ends every session of the user at once" }),
  })
  .refine((body) => body.name !== undefined || body.role !== undefined || body.status !== undefined, {
    message: "Send at least one of name, role, status",
  })
  .openapi("UpdateUserRequest", { minProperties: 1, example: { role: "viewer" } });

/**
 * An invite's state. An invite revoked only after it had expired (e.g. superseded by a new
 * invite to the same address) reads as expired: that is what ended it.
 */
export function inviteStatus(row: InviteRow, now = Date.now()): InviteStatus {
  if (row.acceptedAt) return "accepted";
  if (row.revokedAt && row.revokedAt.getTime() < row.expiresAt.getTime()) return "revoked";
  if (row.expiresAt.getTime() <= now) return "expired";
  return row.revokedAt ? "revoked" : "pending";
}

export const inviteSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("invite"),
    email: z.string().openapi({ example: "grace@acme-health.example" }),
    role: roleSchema,
    status: inviteStatusSchema,
    invited_by: z
      .string()
      .uuid()
      .nullable()
      .openapi({ description: "The user who sent it; null when sent with an API key" }),
    expires_at: timestamp.openapi({ description: "7 days after creation" }),
    accepted_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .openapi("Invite");

export const toInvite = (row: InviteRow): z.infer<typeof inviteSchema> => ({
  id: row.id,
  object: "invite",
  email: row.email,
  role: row.role,
  status: inviteStatus(row),
  invited_by: row.invitedBy,
  expires_at: row.expiresAt.toISOString(),
  accepted_at: iso(row.acceptedAt),
  revoked_at: iso(row.revokedAt),
  created_at: row.createdAt.toISOString(),
});

export const createInviteSchema = z
  .strictObject({
    email: z.string().trim().toLowerCase().email().max(320).openapi({ example: "grace@acme-health.example" }),
    role: roleSchema,
  })
  .openapi("CreateInviteRequest");

export const acceptInviteSchema = z
  .strictObject({
    token: text({ min: 1, max: 256, trim: false }).openapi({
      description: "The token from the invitation",
      example: "q3Jx0c9V4mYbP2wz8TgLr1uKdHs6fEaN7oQiXyBvZ5M",
    }),
    name: text({ min: 1, max: 200 }).openapi({ example: "Grace Hopper" }),
    password: passwordField(),
  })
  .openapi("AcceptInviteRequest");

export const acceptedInviteSchema = z
  .object({
    user: userSchema,
    session_token: z.string().openapi({ example: "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0…" }),
    token_type: z.literal("Bearer"),
    customer_id: z.string().uuid(),
    expires_in: z.number().int().openapi({ description: "Seconds until the session token expires", example: 43200 }),
    session_id: z.string().uuid(),
  })
  .openapi("AcceptedInvite");

/** Accepted with ?session=cookie: the session went into the HttpOnly cookie (auth/browser-session.ts). */
export const acceptedInviteInBrowserSchema = z
  .object({
    user: userSchema,
    ...browserSessionFields,
    customer_id: z.string().uuid(),
    expires_in: z.number().int().openapi({ description: "Seconds until the session cookie expires unless used" }),
    session_id: z.string().uuid(),
  })
  .openapi("AcceptedInviteInBrowser");

export const roleInfoSchema = z
  .object({
    role: roleSchema,
    description: z.string().openapi({ example: "API keys, webhooks, usage ingestion and tickets" }),
    permissions: z.array(z.string()).openapi({ example: ["api_keys:read", "api_keys:write"] }),
  })
  .openapi("RoleInfo");
