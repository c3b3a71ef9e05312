// The access matrix of a route, driven by the permission the route itself declares
// (`x-required-permission` in the served document, the same declaration the auth middleware
// enforces): no credential is a 401, a credential lacking the permission a 403, and one holding
// it gets past authorization (whatever the route then answers: 200, 404, 422…).
import { expect } from "vitest";
import { createApiKey } from "../../dev/fixtures.ts";
import { roles, type Role } from "../../db/schema.ts";
import { permissions, rolePermissions } from "../../worker/auth/permissions.ts";
import { asOwner } from "./database.ts";
import { call, expectProblem } from "./http.ts";
import { staffToken, userToken } from "./identity.ts";
import { concretePath, fetchDocument, operationsOf, type Operation } from "./openapi.ts";

/** What a credential must hold for an operation: a permission, "authenticated", "super_admin" or "public". */
export const requirementOf = (op: Operation): string =>
  op["x-public"] ? "public" : (op["x-required-permission"] ?? "undeclared");

let operations: Promise<Operation[]> | undefined;
/** The served document's operations (fetched once per file). */
export function documentedOperations(): Promise<Operation[]> {
  operations ??= fetchDocument().then(operationsOf);
  return operations;
}

/**
 * Credentials in one customer, made on first use and reused: a user per role, a staff member,
 * and API keys with chosen scopes.
 */
export function credentials(customerId: string) {
  const cache = new Map<string, Promise<string>>();
  const once = (key: string, make: () => Promise<string>) => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key)!;
  };
  return {
    user: (role: Role) => once(`user:${role}`, async () => (await userToken(customerId, role)).token),
    staff: () => once("staff", async () => (await staffToken()).token),
    key: (scopes: string[]) =>
      once(`key:${scopes.join(",")}`, async () =>
        asOwner(async (client) => (await createApiKey(client, customerId, { scopes })).key),
      ),
  };
}
export type Credentials = ReturnType<typeof credentials>;

/** A credential without `requirement`: a role that lacks it, else a key scoped to something else. */
async function lacking(requirement: string, who: Credentials): Promise<{ label: string; token: string } | null> {
  if (requirement === "authenticated" || requirement === "public") return null;
  if (requirement === "super_admin") return { label: "a customer admin", token: await who.user("admin") };
  const role = roles.find((r) => !rolePermissions[r].includes(requirement as never));
  if (role) return { label: `role ${role}`, token: await who.user(role) };
  const other = permissions.find((p) => p !== requirement)!;
  return { label: `a key scoped to ${other}`, token: await who.key([other]) };
}

/** A credential holding `requirement`. */
async function holding(requirement: string, who: Credentials): Promise<string> {
  if (requirement === "super_admin") return who.staff();
  return who.user("admin");
}

/**
 * Checks one operation's matrix. Path parameters are random ids and no body is sent: the
 * checks are about authorization, which comes before the route looks at either.
 */
export async function expectAccessMatrix(
  op: Operation,
  who: Credentials,
  options: { holder?: () => Promise<string> } = {},
): Promise<void> {
  const name = `${op.method} ${op.path}`;
  const requirement = requirementOf(op);
  expect(requirement, `${name} declares no permission`).not.toBe("undeclared");
  if (requirement === "public") return;
  const request = (token?: string) => call(concretePath(op), { method: op.method, token });

  await expectProblem(await request(), { status: 401 });
  const without = await lacking(requirement, who);
  if (without) {
    const problem = await expectProblem(await request(without.token), { status: 403 });
    expect(problem.type, `${name} as ${without.label}`).toMatch(/insufficient-permission$/);
  }
  const allowed = await request(await (options.holder ?? (() => holding(requirement, who)))());
  expect([401, 403], `${name} with ${requirement}: ${allowed.status}`).not.toContain(allowed.status);
  await allowed.body?.cancel();
}
