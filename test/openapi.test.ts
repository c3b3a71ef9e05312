import { describe, expect, it } from "vitest";
import { fetchDocument, operationsOf } from "./helpers/openapi.ts";
import { call } from "./helpers/tenants.ts";

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document generated from the routes", async () => {
    const response = await call("/openapi.json");
    expect(response.status).toBe(200);
    const doc = await response.json<{
      openapi: string;
      paths: Record<
        string,
        Record<string, { security?: unknown[]; responses: Record<string, unknown>; parameters?: { name: string }[] }>
      >;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/health", "/v1/auth/token", "/v1/invoices", "/v1/invoices/{id}"]),
    );
    expect(doc.paths["/v1/invoices"]!.get!.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/v1/invoices"]!.get!.parameters!.map((p) => p.name)).toEqual(["limit", "starting_after"]);
    expect(Object.keys(doc.paths["/v1/invoices/{id}"]!.get!.responses)).toEqual(
      expect.arrayContaining(["200", "401", "404"]),
    );
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["Invoice", "Problem", "SessionToken"]));
  });
});

describe("the document is what SDK generators and linters need", () => {
  it("every operation has a unique camelCase operationId, a summary, a description and declared tags", async () => {
    const doc = await fetchDocument();
    const declared = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
    const ids = new Set<string>();
    for (const op of operationsOf(doc)) {
      const name = `${op.method} ${op.path}`;
      expect(op.operationId, name).toMatch(/^[a-z]+[A-Z][A-Za-z]*$/);
      expect(ids.has(op.operationId!), `${name}: duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId!);
      expect(op.summary?.length, `${name} summary`).toBeGreaterThan(5);
      expect(op.description?.length, `${name} description`).toBeGreaterThan(10);
      expect(op.tags?.length, `${name} tags`).toBeGreaterThan(0);
      for (const tag of op.tags!)
        expect(declared.get(tag), `${name}: tag ${tag} is not declared with a description`).toBeTruthy();
      expect(
        Object.keys(op.responses).some((s) => /^4\d\d$/.test(s)),
        `${name} has no 4xx response`,
      ).toBe(true);
    }
    expect(ids.size).toBeGreaterThan(30);
  });

  it("names its contact and license", async () => {
    const doc = await fetchDocument();
    expect(doc.info.contact).toMatchObject({ email: expect.stringContaining("@") });
    expect(doc.info.license).toMatchObject({ name: expect.any(String) });
  });
});

describe("GET /docs", () => {
  it("serves Swagger UI from this origin only, under a strict Content-Security-Policy, at /docs and /docs/", async () => {
    for (const path of ["/docs", "/docs/"]) {
      const response = await call(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/html");
      const csp = response.headers.get("content-security-policy")!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*(https?:|'unsafe-inline'|\*)/);
      const html = await response.text();
      const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(sources.length).toBeGreaterThanOrEqual(3);
      for (const source of sources)
        expect(source, `${path} loads ${source}`).toMatch(/^\/(docs\/assets\/|openapi\.json)/);
      expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script
    }
  });

  it("serves the pinned Swagger UI assets and the initializer that loads /openapi.json", async () => {
    const bundle = await call("/docs/assets/swagger-ui-bundle.js");
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(500_000);
    const css = await call("/docs/assets/swagger-ui.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
    const init = await (await call("/docs/assets/init.js")).text();
    expect(init).toContain('url: "/openapi.json"');
  });
});
