// Users and roles of the caller's customer (docs/auth.md). Invites live in
// invite-routes.ts and are served through this router too.
import { memberFactorResetRoutes } from "../auth/factor-reset-routes.ts";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { roles } from "../../db/schema.ts";
import { permissions, roleDescriptions, rolePermissions } from "../auth/permissions.ts";
import { forgetPrincipal } from "../auth/principal-cache.ts";
import { revokeKeySessions, revokeSession } from "../auth/revocation.ts";
import { toHex } from "../platform/encoding.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { inviteRoutes } from "./invite-routes.ts";
import { idParam, roleInfoSchema, toUser, updateUserSchema, userSchema } from "./schemas.ts";
import { getUser, listUsers, updateUser, type EndedSession, type UserChanges } from "./users.ts";

const listRoute = secured("users:read", {
  method: "get",
  path: "/v1/users",
  operationId: "listUsers",
  tags: ["users"],
  summary: "List the customer's portal users, newest first",
  description: "Portal users of your organization, newest first.",
  request: {
    query: paginationQuerySchema.extend({
      role: z
        .enum(roles)
        .optional()
        .openapi({ param: { name: "role", in: "query" }, description: "Only users with this role", example: "admin" }),
      status: z
        .enum(["active", "deactivated"])
        .optional()
        .openapi({
          param: { name: "status", in: "query" },
          description: "Only users in this state",
          example: "active",
        }),
    }),
  },
  responses: {
    200: {
      description: "A page of users",
      content: { "application/json": { schema: pageSchema(userSchema, "UserList") } },
    },
    ...problemResponses(400, 401, 403),
  },
});

const getRoute = secured("users:read", {
  method: "get",
  path: "/v1/users/{id}",
  operationId: "getUser",
  tags: ["users"],
  summary: "Retrieve one user",
  description: "One portal user of your organization.",
  request: { params: idParam },
  responses: {
    200: { description: "The user", content: { "application/json": { schema: userSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

const updateRoute = secured("users:write", {
  method: "patch",
  path: "/v1/users/{id}",
  operationId: "updateUser",
  tags: ["users"],
  summary: "Rename a user, change their role, or (de)activate them",
  description:
    "Send at least one of `name`, `role`, `status`. You cannot change your own role or deactivate yourself, and the " +
    "customer always keeps at least one active admin (409 `last-admin`). Changing a role or deactivating ends all the " +
    "user's sessions at once: their tokens stop working on the next request.",
  request: { params: idParam, body: { content: { "application/json": { schema: updateUserSchema } }, required: true } },
  responses: {
    200: { description: "The updated user", content: { "application/json": { schema: userSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 422),
  },
});

const deactivateRoute = secured("users:write", {
  method: "delete",
  path: "/v1/users/{id}",
  operationId: "deactivateUser",
  tags: ["users"],
  summary: "Deactivate a user (ends their sessions; the user record is kept)",
  description: "Same rules as `PATCH` with `status: deactivated`: not yourself, never the last active admin.",
  request: { params: idParam },
  responses: {
    200: { description: "The deactivated user", content: { "application/json": { schema: userSchema } } },
    ...problemResponses(400, 401, 403, 404, 409),
  },
});

const rolesRoute = secured("authenticated", {
  method: "get",
  path: "/v1/roles",
  operationId: "listRoles",
  tags: ["users"],
  summary: "The roles a user can hold, with their permissions",
  description: "The roles a user can hold in an organization, with the permissions each grants.",
  responses: {
    200: {
      description: "Every role",
      content: { "application/json": { schema: z.object({ data: z.array(roleInfoSchema) }).openapi("RoleList") } },
    },
    ...problemResponses(401),
  },
});

const permissionsRoute = secured("authenticated", {
  method: "get",
  path: "/v1/permissions",
  operationId: "listPermissions",
  tags: ["users"],
  summary: "Every permission, and the role → permission matrix",
  description: "Every permission, and the role × permission matrix. API key scopes are permissions.",
  responses: {
    200: {
      description: "Permissions and matrix",
      content: {
        "application/json": {
          schema: z
            .object({
              permissions: z.array(z.string()).openapi({ example: ["invoices:read", "users:write"] }),
              matrix: z
                .record(z.string(), z.array(z.string()))
                .openapi({ example: { viewer: ["invoices:read", "usage:read"] } }),
            })
            .openapi("PermissionMatrix"),
        },
      },
    },
    ...problemResponses(401),
  },
});

/** Runs the change and, once it committed, stops the ended sessions' tokens at the edge. */
async function change(c: AppContext, id: string, changes: UserChanges, action: "user.updated" | "user.deactivated") {
  const { customerId, userId } = c.var.principal;
  const { user, endedSessions, createdKeys } = await writeAs(c, (db, audit) =>
    updateUser(db, audit, { customerId, userId }, id, changes, action),
  );
  await Promise.all([
    ...endedSessions.map((s: EndedSession) => revokeSession(c.env.AUTH_CACHE, s.id, s.expiresAt.getTime())),
    // Keys of every chain the user started are re-bounded by their new role (or stop): drop what is cached.
    ...createdKeys.flatMap((k) => [
      forgetPrincipal(c.env.AUTH_CACHE, toHex(k.keyHash)),
      revokeKeySessions(c.env.AUTH_CACHE, k.id),
    ]),
  ]);
  return user;
}

export const userRoutes = new OpenAPIHono<AppEnv>()
  .route("/", memberFactorResetRoutes)
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const rows = await readAs(c, (db) => listUsers(db, c.var.principal.customerId, query));
    return c.json(pageOf(rows, query.limit, toUser), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await readAs(c, (db) => getUser(db, c.var.principal.customerId, id));
    if (!row) throw notFound("user", id);
    return c.json(toUser(row), 200);
  })
  .openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    return c.json(toUser(await change(c, id, body, "user.updated")), 200);
  })
  .openapi(deactivateRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(toUser(await change(c, id, { status: "deactivated" }, "user.deactivated")), 200);
  })
  .openapi(rolesRoute, (c) =>
    c.json(
      {
        data: roles.map((role) => ({
          role,
          description: roleDescriptions[role],
          permissions: [...rolePermissions[role]],
        })),
      },
      200,
    ),
  )
  .openapi(permissionsRoute, (c) =>
    c.json(
      {
        permissions: [...permissions],
        matrix: Object.fromEntries(roles.map((role) => [role, [...rolePermissions[role]]])),
      },
      200,
    ),
  )
  .route("/", inviteRoutes);
