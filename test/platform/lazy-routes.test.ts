// The edge entry builds each domain's routes on first use (worker/domains.ts). These tests prove
// the path table sends every route to the module that serves it, that the lazily built
// applications answer like the whole application, and that the document is the whole API.
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import { domainFor, domains } from "../../worker/domains.ts";
import { documentPath } from "../helpers/openapi.ts";
import { call, createTenant } from "../helpers/tenants.ts";

/** A concrete path that the route pattern matches: parameters (and a trailing "*") become "x". */
function examplePath(pattern: string): string {
  return documentPath(pattern)
    .replace(/\{[A-Za-z_]+\}/g, "x")
    .replace(/\*$/, "x");
}

const routeKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

describe("domain routes built on first use", () => {
  it("sends every route of the whole application to the domain module that declares it", async () => {
    const whole = (await createApp()).routes.filter(
      (route) => route.method !== "ALL" && route.path !== "/openapi.json",
    );
    expect(whole.length).toBeGreaterThan(60);
    const own = new Map<string, Set<string>>();
    for (const domain of domains) {
      own.set(domain.name, new Set((await domain.routes()).routes.map(routeKey)));
    }
    for (const route of whole) {
      const domain = domainFor(examplePath(route.path));
      expect(domain, `${routeKey(route)}: no domain for ${examplePath(route.path)}`).toBeDefined();
      expect(
        own.get(domain!.name),
        `${routeKey(route)} is routed to "${domain!.name}", which does not declare it`,
      ).toContain(routeKey(route));
    }
  });

  it("matches prefixes by whole segments, longest first", () => {
    expect(domainFor("/v1/admin/usage")?.name).toBe("usage");
    expect(domainFor("/v1/admin/billing-runs/123")?.name).toBe("billing");
    expect(domainFor("/v1/admin/customers/123")?.name).toBe("admin");
    expect(domainFor("/v1/invoices.csv")?.name).toBe("invoices");
    expect(domainFor("/v1/invoices/abc.html")?.name).toBe("invoices");
    expect(domainFor("/v1/invoicesX")).toBeUndefined();
    expect(domainFor("/v1/admin")).toBeUndefined();
    expect(domainFor("/")).toBeUndefined();
  });

  it("reads the path as the router does: a percent-encoded path reaches the same route", async () => {
    const tenant = await createTenant({ invoices: 1 });
    const plain = await call("/v1/invoices", { token: tenant.key });
    const encoded = await call("/v1/%69nvoices", { token: tenant.key });
    expect(plain.status).toBe(200);
    expect(encoded.status).toBe(200);
    expect((await encoded.json<{ data: { id: string }[] }>()).data.map((invoice) => invoice.id)).toEqual(
      tenant.invoiceIds,
    );
  });

  it("answers paths no domain serves, and wrong methods, with the platform's 404 problem", async () => {
    for (const [method, path] of [
      ["GET", "/v1/nothing-here"],
      ["GET", "/v1/admin"],
      ["DELETE", "/v1/invoices"],
    ] as const) {
      const response = await call(path, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(response.headers.get("x-request-id")).toBeTruthy();
      expect((await response.json<{ detail: string }>()).detail).toBe(`No route for ${method} ${path}.`);
    }
  });
});
