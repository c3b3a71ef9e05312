// The typed client (client/securebase.ts over the generated client/schema.d.ts) compiles under
// `npm run typecheck` and works against the real Worker: paths, params and bodies are typed.
import { describe, expect, it } from "vitest";
import { allInvoices, createSecureBaseClient } from "../../client/securebase.ts";
import { BASE_URL, workerFetch } from "../helpers/http.ts";
import { userToken } from "../helpers/identity.ts";
import { createTenant } from "../helpers/tenants.ts";

const baseUrl = BASE_URL;

describe("typed TypeScript client", () => {
  it("lists every invoice across pages with the generated types", async () => {
    const tenant = await createTenant({ invoices: 5 });
    const client = createSecureBaseClient({ baseUrl, token: tenant.key, fetch: workerFetch });
    const invoices = await allInvoices(client, 2);
    expect(invoices.map((i) => i.id).sort()).toEqual([...tenant.invoiceIds].sort());
    const total: number = invoices[0]!.total_cents; // typed as a number, not unknown
    expect(Number.isInteger(total)).toBe(true);
  });

  it("creates an API key with a typed body and reads the typed problem on bad input", async () => {
    const tenant = await createTenant();
    const { token } = await userToken(tenant.customerId, "admin");
    const client = createSecureBaseClient({ baseUrl, token, fetch: workerFetch });

    const created = await client.POST("/v1/api-keys", {
      body: { name: "from the typed client", scopes: ["invoices:read"], mode: "test" },
      params: { header: { "idempotency-key": crypto.randomUUID() } },
    });
    expect(created.response.status).toBe(201);
    expect(created.data?.key).toMatch(/^sb_test_/);

    const fetched = await client.GET("/v1/api-keys/{id}", { params: { path: { id: created.data!.id } } });
    expect(fetched.data?.name).toBe("from the typed client");

    const bad = await client.POST("/v1/api-keys", {
      // @ts-expect-error: `scopes` must be known permissions; the types refuse anything else.
      body: { name: "x", scopes: ["root:everything"] },
      params: { header: {} },
    });
    expect(bad.response.status).toBe(422);
    expect(bad.error?.errors?.[0]?.field).toBe("body.scopes.0");
  });

  it("refuses, at compile time, a path the API does not have", () => {
    const client = createSecureBaseClient({ baseUrl, token: "unused", fetch: workerFetch });
    // @ts-expect-error: no such path in the document.
    const call = () => client.GET("/v1/not-a-route");
    expect(typeof call).toBe("function");
  });
});
