// Every route declares the permission it needs (or is on the explicit public list), so a new
// endpoint cannot ship unguarded by accident.
import { beforeAll, describe, expect, it } from "vitest";
import { permissions } from "../../worker/auth/permissions.ts";
import { createApp } from "../../worker/app.ts";
import { documentPath, type Operation } from "../helpers/openapi.ts";
import { credentials, documentedOperations, expectAccessMatrix, type Credentials } from "../helpers/access.ts";
import { userToken } from "../helpers/identity.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

const PUBLIC = [
  "GET /health",
  "GET /health/live",
  "POST /v1/auth/login",
  "POST /v1/auth/login/mfa",
  "POST /v1/auth/passkeys/options",
  "POST /v1/auth/passkeys",
  "POST /v1/auth/password-resets",
  "POST /v1/auth/password-resets/confirm",
  "POST /v1/invites/accept",
  // Signed by the payment provider instead (test/invoices/provider-webhook.test.ts).
  "POST /v1/payments/webhook",
  // Signed by Amazon SNS instead (test/notifications/ses-notifications.test.ts).
  "POST /v1/email/ses-notifications",
];
/** Served by the app but not API operations: the document itself and its viewer. */
const NOT_OPERATIONS = ["GET /openapi.json", "GET /docs", "GET /docs/", "GET /docs/assets/*"];

async function operations(): Promise<Map<string, Operation>> {
  return new Map((await documentedOperations()).map((op) => [`${op.method} ${op.path}`, op]));
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

  describe("every operation enforces the permission it declares", async () => {
    const ops = await documentedOperations();
    let tenant: TestTenant;
    let who: Credentials;
    beforeAll(async () => {
      // The highest rate limit: the same users send three requests per operation.
      tenant = await createTenant({ tier: "gov_federal" });
      who = credentials(tenant.customerId);
    });
    /** Routes whose holder is not the default (an admin user, or staff). */
    const holders: Record<string, () => Promise<string>> = {
      // Logging out ends the credential: give it one of its own.
      "POST /v1/auth/logout": async () => (await userToken(tenant.customerId, "viewer")).token,
      // The token exchange is for API keys.
      "POST /v1/auth/token": async () => tenant.key,
    };

    it("covers the document", () => expect(ops.length).toBeGreaterThan(5));
    it.each(ops.map((op) => [`${op.method} ${op.path}`, op] as const))(
      "%s: 401 without a credential, 403 lacking its permission, past authorization holding it",
      async (name, op) => {
        await expectAccessMatrix(op, who, { holder: holders[name] });
      },
    );
  });
});
