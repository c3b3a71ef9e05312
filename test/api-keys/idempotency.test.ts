// Idempotency-Key on POST /v1/api-keys: a retried create replays the first response (one key,
// one secret), a reused key with another body is a 422, and concurrent duplicates create one key.
import { beforeEach, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant } from "../helpers/tenants.ts";
import type { Schemas } from "../helpers/http.ts";

/** An API key; `key` (the secret) only in the answer that created it. */
type ApiKeyBody = Schemas["ApiKey"] & { key?: string };

let customerId: string;
let admin: string;
// A fresh tenant per test, so counting its keys counts only what the test created.
beforeEach(async () => {
  customerId = (await createTenant()).customerId;
  admin = (await userToken(customerId, "admin")).token;
});

const createKey = (idempotencyKey: string, body: unknown) =>
  call("/v1/api-keys", {
    method: "POST",
    token: admin,
    headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
    body: JSON.stringify(body),
  });

/** Keys created through the API (the tenant's fixture key has no created_by). */
const createdKeys = async () => {
  const response = await call("/v1/api-keys?status=all&limit=100", { token: admin });
  const page = await response.json<{ data: { id: string; created_by: unknown }[] }>();
  return page.data.filter((k) => k.created_by !== null);
};

const auditCount = (keyId: string) =>
  asOwner((client) =>
    asCustomer(client, customerId, async () =>
      Number((await client.query("SELECT count(*) AS n FROM audit_events WHERE resource_id = $1", [keyId])).rows[0]!.n),
    ),
  );

describe("POST /v1/api-keys with Idempotency-Key", () => {
  it("replays the first response to a retry with the same body: same key, same secret, one key created", async () => {
    const body = { name: "Retried", scopes: ["invoices:read"] };
    const first = await createKey("create-once-1", body);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const firstBody = await first.json<ApiKeyBody>();

    const retry = await createKey("create-once-1", body);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("location")).toBe(`/v1/api-keys/${firstBody.id}`);
    expect(await retry.json<ApiKeyBody>()).toEqual(firstBody);

    expect((await createdKeys()).map((k) => k.id)).toEqual([firstBody.id]);
    expect(await auditCount(firstBody.id)).toBe(1);
  });

  it("keeps the stored response (which carries the secret) encrypted, never the plaintext key", async () => {
    const response = await createKey("create-sealed-1", { name: "Sealed", scopes: ["invoices:read"] });
    const { key } = await response.json<ApiKeyBody>();
    const stored = await asOwner((client) =>
      asCustomer(
        client,
        customerId,
        async () =>
          (
            await client.query(
              "SELECT row_to_json(i)::text AS row FROM idempotency_keys i WHERE key = 'create-sealed-1'",
            )
          ).rows[0]!.row as string,
      ),
    );
    expect(stored).toContain("sealed");
    expect(stored).not.toContain(key!);
    expect(stored).not.toContain(key!.slice(8));
  });

  it("answers 422 when the same Idempotency-Key comes with a different body", async () => {
    expect((await createKey("create-once-2", { name: "A", scopes: ["invoices:read"] })).status).toBe(201);
    const reused = await createKey("create-once-2", { name: "B", scopes: ["invoices:read"] });
    expect(reused.status).toBe(422);
    expect(reused.headers.get("content-type")).toBe("application/problem+json");
    expect((await reused.json<{ type: string }>()).type).toMatch(/idempotency-key-reused$/);
    expect(await createdKeys()).toHaveLength(1);
  });

  it("creates exactly one key from 5 concurrent requests with one Idempotency-Key", async () => {
    const body = { name: "Raced", scopes: ["invoices:read"] };
    const responses = await Promise.all(Array.from({ length: 5 }, () => createKey("create-race-1", body)));
    const outcomes = await Promise.all(
      responses.map(async (r) => ({
        status: r.status,
        replayed: r.headers.get("idempotent-replayed") === "true",
        body: await r.json<ApiKeyBody & { type?: string }>(),
      })),
    );
    const originals = outcomes.filter((o) => o.status === 201 && !o.replayed);
    expect(originals).toHaveLength(1);
    const id = originals[0]!.body.id;
    for (const other of outcomes.filter((o) => o !== originals[0])) {
      if (other.status === 409) expect(other.body.type).toMatch(/idempotency-key-in-progress$/);
      else expect(other).toMatchObject({ status: 201, replayed: true, body: { id } });
    }
    expect((await createdKeys()).map((k) => k.id)).toEqual([id]);
  });

  it("does not store a rejected request: the same key may be retried after fixing the body", async () => {
    const invalid = await createKey("create-fixed-1", { name: "", scopes: ["invoices:read"] });
    expect(invalid.status).toBe(422);
    const fixed = await createKey("create-fixed-1", { name: "Fixed", scopes: ["invoices:read"] });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get("idempotent-replayed")).toBeNull();
  });
});
