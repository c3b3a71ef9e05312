// Ciphertexts are bound to their place (table, column, customer, row) as AES-GCM associated
// data: one copied to another row, column or tenant by someone who can write those columns does
// not open there (docs/security.md).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { open, type SealedPlace, seal } from "../../worker/platform/encryption.ts";
import { signingSecrets } from "../../worker/webhooks/endpoints.ts";
import { as } from "../helpers/database.ts";
import { send } from "../helpers/http.ts";
import { userToken } from "../helpers/identity.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

const place: SealedPlace = {
  table: "webhook_endpoints",
  column: "secret_ciphertext",
  customerId: "0190a0a0-0000-7000-8000-000000000001",
  rowId: "0190a0a0-0000-7000-8000-0000000000aa",
};

describe("sealed secrets", () => {
  it("open only where they were sealed: not in another row, column or tenant", async () => {
    const sealed = await seal(env.DATA_ENCRYPTION_KEY, "whsec_secret", place);
    expect(sealed).toMatch(/^v2\./);
    expect(await open(env.DATA_ENCRYPTION_KEY, sealed, place)).toBe("whsec_secret");
    for (const elsewhere of [
      { ...place, rowId: "0190a0a0-0000-7000-8000-0000000000bb" },
      { ...place, column: "previous_secret_ciphertext" },
      { ...place, customerId: "0190a0a0-0000-7000-8000-000000000002" },
      { ...place, table: "idempotency_keys" },
    ]) {
      await expect(open(env.DATA_ENCRYPTION_KEY, sealed, elsewhere)).rejects.toThrow();
    }
  });

  describe("webhook signing secrets", () => {
    let alice: TestTenant;
    let bob: TestTenant;
    beforeAll(async () => {
      [alice, bob] = await Promise.all([createTenant(), createTenant()]);
    });

    const endpoint = async (tenant: TestTenant) => {
      const { token } = await userToken(tenant.customerId, "admin");
      const response = await send("POST", "/v1/webhooks/endpoints", token, { url: "https://hooks.example.com/in" });
      expect(response.status).toBe(201);
      return (await response.json<{ id: string; secret: string }>()).id;
    };
    const row = (id: string) =>
      as("admin", async (client) => {
        const { rows } = await client.query(
          `SELECT customer_id AS "customerId", id AS "endpointId", secret_ciphertext AS "secretCiphertext",
                  previous_secret_ciphertext AS "previousSecretCiphertext",
                  previous_secret_expires_at AS "previousSecretExpiresAt"
             FROM webhook_endpoints WHERE id = $1`,
          [id],
        );
        const r = rows[0] as {
          customerId: string;
          endpointId: string;
          secretCiphertext: Uint8Array;
          previousSecretCiphertext: Uint8Array | null;
          previousSecretExpiresAt: Date | null;
        };
        return {
          ...r,
          secretCiphertext: new Uint8Array(r.secretCiphertext),
          previousSecretCiphertext: r.previousSecretCiphertext && new Uint8Array(r.previousSecretCiphertext),
        };
      });

    it("a secret copied into another tenant's endpoint does not sign its deliveries", async () => {
      const [mine, theirs] = await Promise.all([endpoint(alice), endpoint(bob)]);
      const own = await row(mine);
      expect(await signingSecrets(env.DATA_ENCRYPTION_KEY, own)).toHaveLength(1);
      await as("admin", (client) =>
        client.query(
          "UPDATE webhook_endpoints SET secret_ciphertext = (SELECT secret_ciphertext FROM webhook_endpoints WHERE id = $1) WHERE id = $2",
          [mine, theirs],
        ),
      );
      const copied = await row(theirs);
      expect(copied.secretCiphertext).toEqual(own.secretCiphertext);
      await expect(signingSecrets(env.DATA_ENCRYPTION_KEY, copied)).rejects.toThrow();
    });

    it("a rotated-out secret is sealed again for its new column and still signs during the overlap", async () => {
      const id = await endpoint(alice);
      const { token } = await userToken(alice.customerId, "admin");
      const rotated = await send("POST", `/v1/webhooks/endpoints/${id}/rotate-secret`, token, {});
      expect(rotated.status).toBe(200);
      const secrets = await signingSecrets(env.DATA_ENCRYPTION_KEY, await row(id));
      expect(secrets).toHaveLength(2);
      expect(secrets[0]).toBe((await rotated.json<{ secret: string }>()).secret);
    });
  });
});
