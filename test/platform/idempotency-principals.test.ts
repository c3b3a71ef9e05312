// A stored response belongs to the credential that caused it (docs/security.md, "Idempotency"):
// another key or user of the same tenant sending the same Idempotency-Key gets a 409, never the
// first caller's session token, key secret or invite.
import { beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { expectProblem } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

const WRITE_SCOPES = ["api_keys:read", "api_keys:write", "invoices:read"];

let tenant: TestTenant;
let secondKey: string;
beforeAll(async () => {
  tenant = await createTenant({ scopes: WRITE_SCOPES });
  secondKey = (await asOwner((client) => createApiKey(client, tenant.customerId, { scopes: WRITE_SCOPES }))).key;
});

const post = (path: string, token: string, idempotencyKey: string, body?: unknown) =>
  call(path, {
    method: "POST",
    token,
    headers: { "idempotency-key": idempotencyKey, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

describe("Idempotency-Key across credentials of one tenant", () => {
  it("refuses another key's retry of POST /v1/auth/token with a 409, without the first session token", async () => {
    const first = await post("/v1/auth/token", tenant.key, "shared-token-1");
    expect(first.status).toBe(200);
    const { session_token } = await first.json<{ session_token: string }>();

    const other = await post("/v1/auth/token", secondKey, "shared-token-1");
    const problem = await expectProblem(other, { status: 409, type: "idempotency-key-in-use" });
    expect(problem.detail).toMatch(/another credential/i);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(JSON.stringify(problem)).not.toContain(session_token);

    // The owner still gets its replay.
    const again = await post("/v1/auth/token", tenant.key, "shared-token-1");
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json<{ session_token: string }>()).session_token).toBe(session_token);
  });

  it("refuses another key's retry of POST /v1/api-keys: the first key's secret is never replayed to it", async () => {
    const body = { name: "Deploy", scopes: ["invoices:read"] };
    const first = await post("/v1/api-keys", tenant.key, "shared-create-1", body);
    expect(first.status).toBe(201);
    const { key } = await first.json<{ key: string }>();

    const other = await post("/v1/api-keys", secondKey, "shared-create-1", body);
    const problem = await expectProblem(other, { status: 409, type: "idempotency-key-in-use" });
    expect(JSON.stringify(problem)).not.toContain(key);
  });

  it("treats a key's session token as that key, and a user as another credential", async () => {
    const exchanged = await post("/v1/auth/token", tenant.key, "exchange-for-session");
    const { session_token } = await exchanged.json<{ session_token: string }>();
    const body = { name: "Via session", scopes: ["invoices:read"] };
    expect((await post("/v1/api-keys", tenant.key, "key-then-session", body)).status).toBe(201);
    const viaSession = await post("/v1/api-keys", session_token, "key-then-session", body);
    expect(viaSession.status).toBe(201);
    expect(viaSession.headers.get("idempotent-replayed")).toBe("true");

    const { token: admin } = await userToken(tenant.customerId, "admin");
    await expectProblem(await post("/v1/api-keys", admin, "key-then-session", body), {
      status: 409,
      type: "idempotency-key-in-use",
    });
  });
});
