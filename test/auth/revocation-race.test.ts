// A key's principal loaded from Postgres just before the key was revoked — by another isolate,
// whose memory knows nothing of the revocation — must never be served from KV after it
// (docs/auth.md, "Revocation and its bound"). The race is replayed deterministically: the
// principal and the generation it was loaded under are taken before the revocation, the fill
// (or its KV write) happens after it.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashApiKey } from "../../worker/auth/api-key.ts";
import { cachePrincipal, principalKvKey } from "../../worker/auth/principal-cache.ts";
import type { Principal } from "../../worker/auth/principal.ts";
import { userToken } from "../helpers/identity.ts";
import { expectProblem, send } from "../helpers/http.ts";
import { call, createTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

/** A fresh key of a fresh tenant, used once: its principal as the Worker loaded and cached it. */
async function loadedKey() {
  const tenant = await createTenant();
  const { token } = await userToken(tenant.customerId, "admin");
  const hash = await hashApiKey(tenant.key);
  expect((await call("/v1/auth/token", { method: "POST", token: tenant.key })).status).toBe(200);
  const loaded = await eventually(async () => {
    const entry = await env.AUTH_CACHE.get<{ generation: string; principal: Principal }>(principalKvKey(hash), "json");
    expect(entry).not.toBeNull();
    return entry!;
  });
  const revoke = async () => expect((await send("DELETE", `/v1/api-keys/${tenant.keyId}`, token)).status).toBe(200);
  return { tenant, hash, loaded, revoke };
}

describe("a principal loaded before its key's revocation", () => {
  it("is not cached by a fill that finishes after the revocation", async () => {
    const { tenant, hash, loaded, revoke } = await loadedKey();
    await revoke();

    await cachePrincipal(env.AUTH_CACHE, hash, loaded.principal, loaded.generation);

    expect(await env.AUTH_CACHE.get(principalKvKey(hash))).toBeNull();
    await expectProblem(await call("/v1/invoices", { token: tenant.key }), { status: 401, type: "unauthorized" });
  });

  it("is refused by the next reader when its KV write lands after the revocation", async () => {
    const { tenant, hash, loaded, revoke } = await loadedKey();
    await revoke();
    // The fill checked the generation before the revocation and its put landed after it.
    await env.AUTH_CACHE.put(principalKvKey(hash), JSON.stringify(loaded), { expirationTtl: 300 });

    await expectProblem(await call("/v1/invoices", { token: tenant.key }), { status: 401, type: "unauthorized" });
  });
});
