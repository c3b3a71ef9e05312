// Every route declares the permission it needs (or is on the explicit public list), so a new
// endpoint cannot ship unguarded by accident.
import { describe, expect, it } from "vitest";
import { permissions } from "../../worker/auth/permissions.ts";
import { createApp } from "../../worker/app.ts";
import { documentPath } from "../helpers/openapi.ts";
import { call } from "../helpers/tenants.ts";

const PUBLIC = ["GET /health", "GET /health/live", "POST /v1/auth/login", "POST /v1/invites/accept"];
/** Served by the app but not API operations: the document itself and its viewer. */
const NOT_OPERATIONS = ["GET /openapi.json", "GET /docs", "GET /docs/", "GET /docs/assets/*"];

type Operation = { "x-required-permission"?: string; "x-public"?: boolean; security?: unknown[] };

async function operations(): Promise<Map<string, Operation>> {
  const doc = await (await call("/openapi.json")).json<{ paths: Record<string, Record<string, Operation>> }>();
  const ops = new Map<string, Operation>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) ops.set(`${method.toUpperCase()} ${path}`, op);
  }
  return ops;
}

describe("route permissions", () => {
  it("every operation declares a known permission, or is on the explicit public list", async () => {
    const allowed = new Set<string>([...permissions, "authenticated", "super_admin"]);
    const ops = await operations();
    expect(ops.size).toBeGreaterThan(5);
    for (const [name, op] of ops) {
      if (op["x-public"]) {
        expect(PUBLIC, `${name} is public but not on the public list`).toContain(name);
        expect(op.security, `${name} must say it is public with security: []`).toEqual([]);
      } else {
        expect(allowed, `${name} declares no permission`).toContain(op["x-required-permission"]);
        expect(op.security, name).toEqual([{ bearerAuth: [] }]);
      }
    }
    for (const name of PUBLIC) expect(ops.get(name)?.["x-public"], name).toBe(true);
  });

  it("every route the app serves is a documented operation (no route hides from the check)", async () => {
    const documented = new Set((await operations()).keys());
    const served = (await createApp()).routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${documentPath(r.path)}`);
    for (const route of new Set(served)) {
      if (NOT_OPERATIONS.includes(route)) continue;
      expect(documented, `${route} is served but not in /openapi.json`).toContain(route);
    }
  });
});
