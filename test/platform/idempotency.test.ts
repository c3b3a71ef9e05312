// Idempotency-Key on POST: replay, conflict, and stored responses encrypted at rest.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant();
});

const exchange = (key: string, idempotencyKey: string) =>
  call("/v1/auth/token", { method: "POST", token: key, headers: { "idempotency-key": idempotencyKey } });

describe("Idempotency-Key", () => {
  it("replays the first response to a retry, marked as a replay", async () => {
    const first = await exchange(tenant.key, "retry-1");
    const again = await exchange(tenant.key, "retry-1");
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await again.json()).toEqual(await first.json());
  });

  it("stores the response encrypted: the secret it carries is not in the database", async () => {
    const { session_token } = await (await exchange(tenant.key, "sealed-1")).json<{ session_token: string }>();
    const { rows } = await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query("SELECT response_body::text AS body FROM idempotency_keys WHERE key = 'sealed-1'"),
      ),
    );
    expect(rows[0]!.body).toMatch(/^\{"sealed": "v2\.dek1\./); // bound to this row (docs/security.md)
    expect(rows[0]!.body).not.toContain(session_token.split(".")[1]);
  });

  it("refuses the same key on a different request with a 422 problem", async () => {
    await exchange(tenant.key, "reused-1");
    const other = await call("/v1/auth/logout", {
      method: "POST",
      token: tenant.key,
      headers: { "idempotency-key": "reused-1" },
    });
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ type: expect.stringContaining("idempotency-key-reused") });
  });

  it("keeps keys per customer: another tenant's identical key is unrelated", async () => {
    const other = await createTenant();
    const mine = await (await exchange(tenant.key, "shared-name")).json<{ customer_id: string }>();
    const theirs = await exchange(other.key, "shared-name");
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect((await theirs.json<{ customer_id: string }>()).customer_id).not.toBe(mine.customer_id);
  });

  it("rejects a malformed key with a 400 naming the header", async () => {
    const response = await exchange(tenant.key, "x".repeat(300));
    expect(response.status).toBe(400);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]!.field).toBe("header.idempotency-key");
  });
});
