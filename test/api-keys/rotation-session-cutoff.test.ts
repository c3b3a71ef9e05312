// Session tokens exchanged for a rotated key stop when the key's grace period ends, even though
// the tokens themselves were issued for an hour.
import { describe, expect, it } from "vitest";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant } from "../helpers/tenants.ts";

describe("rotation grace", () => {
  it("ends the old key's session tokens with the grace period", async () => {
    const tenant = await createTenant();
    const { token: admin } = await userToken(tenant.customerId, "admin");
    const { session_token } = await (await call("/v1/auth/token", { method: "POST", token: tenant.key })).json<{
      session_token: string;
    }>();
    const graceSeconds = 4;
    const rotatedAt = Date.now();
    const rotated = await call(`/v1/api-keys/${tenant.keyId}/rotate`, {
      method: "POST",
      token: admin,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grace_period_seconds: graceSeconds }),
    });
    expect(rotated.status).toBe(201);
    expect((await call("/v1/invoices", { token: session_token })).status).toBe(200);
    // The cutoff is the old key's expires_at as the server set it (not this test's clock at the
    // call: on a loaded machine the request can take longer than any fixed margin).
    const old = await (await call(`/v1/api-keys/${tenant.keyId}`, { token: admin })).json<{ expires_at: string }>();
    const cutoff = Date.parse(old.expires_at);
    expect(cutoff).toBeGreaterThanOrEqual(rotatedAt + graceSeconds * 1000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, cutoff + 500 - Date.now())));
    expect((await call("/v1/invoices", { token: session_token })).status).toBe(401);
    expect((await call("/v1/invoices", { token: tenant.key })).status).toBe(401);
  });
});
