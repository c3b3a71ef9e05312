// GET /v1/roles and /v1/permissions, the code's matrix against the database's, and the
// OpenAPI description of the users and invites API.
import { beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../db/schema.ts";
import { permissions, roleDescriptions, rolePermissions } from "../../worker/auth/permissions.ts";
import { asOwner } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
let viewer: string;
beforeAll(async () => {
  tenant = await createTenant({ scopes: ["invoices:read"] });
  viewer = (await userToken(tenant.customerId, "viewer")).token;
});

const codeMatrix = () => Object.fromEntries(roles.map((role) => [role, [...rolePermissions[role]].sort()]));

describe("GET /v1/roles", () => {
  it("lists every role with its description and permissions, to any authenticated caller", async () => {
    for (const token of [viewer, tenant.key]) {
      const response = await call("/v1/roles", { token });
      expect(response.status).toBe(200);
      const body = await response.json<{ data: { role: string; description: string; permissions: string[] }[] }>();
      expect(body.data.map((r) => r.role)).toEqual([...roles]);
      for (const entry of body.data) {
        const role = entry.role as (typeof roles)[number];
        expect(entry.description).toBe(roleDescriptions[role]);
        expect(entry.permissions).toEqual([...rolePermissions[role]]);
      }
    }
  });

  it("answers 401 without credentials", async () => {
    const response = await call("/v1/roles");
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("GET /v1/permissions", () => {
  it("lists every permission and the role -> permission matrix, to any authenticated caller", async () => {
    for (const token of [viewer, tenant.key]) {
      const response = await call("/v1/permissions", { token });
      expect(response.status).toBe(200);
      const body = await response.json<{ permissions: string[]; matrix: Record<string, string[]> }>();
      expect(body.permissions).toEqual([...permissions]);
      expect(Object.fromEntries(Object.entries(body.matrix).map(([role, list]) => [role, [...list].sort()]))).toEqual(
        codeMatrix(),
      );
    }
  });

  it("answers 401 without credentials", async () => {
    expect((await call("/v1/permissions")).status).toBe(401);
  });
});

describe("role -> permission matrix", () => {
  it("in code (worker/auth/permissions.ts) equals the database's role_permissions table", async () => {
    const rows = await asOwner(
      async (client) =>
        (await client.query("SELECT role, permission FROM role_permissions ORDER BY role, permission")).rows,
    );
    const database: Record<string, string[]> = {};
    for (const { role, permission } of rows as { role: string; permission: string }[])
      (database[role] ??= []).push(permission);
    expect(Object.fromEntries(Object.entries(database).map(([role, list]) => [role, list.sort()]))).toEqual(
      codeMatrix(),
    );
  });
});

describe("OpenAPI document", () => {
  it("describes the users and invites API with named schemas, and only the invite acceptance is public", async () => {
    const doc = await (await call("/openapi.json")).json<{
      paths: Record<
        string,
        Record<
          string,
          { summary?: string; description?: string; "x-public"?: boolean; "x-required-permission"?: string }
        >
      >;
      components: { schemas: Record<string, unknown> };
    }>();
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        "User",
        "UserList",
        "UpdateUserRequest",
        "Invite",
        "InviteList",
        "CreateInviteRequest",
        "AcceptInviteRequest",
        "AcceptedInvite",
        "RoleInfo",
        "RoleList",
        "PermissionMatrix",
      ]),
    );
    // No response carries an invite's token: it goes only to the invitee's email.
    expect(Object.keys(doc.components.schemas)).not.toContain("CreatedInvite");
    expect(JSON.stringify(doc.components.schemas)).not.toContain("accept_token");
    const permissionOf = (path: string, method: string) => doc.paths[path]?.[method]?.["x-required-permission"];
    expect(permissionOf("/v1/users", "get")).toBe("users:read");
    expect(permissionOf("/v1/users/{id}", "get")).toBe("users:read");
    expect(permissionOf("/v1/users/{id}", "patch")).toBe("users:write");
    expect(permissionOf("/v1/users/{id}", "delete")).toBe("users:write");
    expect(permissionOf("/v1/invites", "post")).toBe("users:write");
    expect(permissionOf("/v1/invites", "get")).toBe("users:read");
    expect(permissionOf("/v1/invites/{id}", "delete")).toBe("users:write");
    expect(permissionOf("/v1/roles", "get")).toBe("authenticated");
    expect(permissionOf("/v1/permissions", "get")).toBe("authenticated");
    const acceptOp = doc.paths["/v1/invites/accept"]!.post!;
    expect(acceptOp["x-public"]).toBe(true);
    expect(acceptOp.description).toMatch(/once/);
    expect(acceptOp.description).toMatch(/7 days/);
    expect(doc.paths["/v1/invites"]!.post!.description).toMatch(/single-use.*7 days/s);
  });
});
