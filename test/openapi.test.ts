import { describe, expect, it } from "vitest";
import { call } from "./helpers/tenants.ts";

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document generated from the routes", async () => {
    const response = await call("/openapi.json");
    expect(response.status).toBe(200);
    const doc = await response.json<{
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown>; parameters?: { name: string }[] }>>;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/health", "/v1/auth/token", "/v1/invoices", "/v1/invoices/{id}"]));
    expect(doc.paths["/v1/invoices"]!.get!.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/v1/invoices"]!.get!.parameters!.map((p) => p.name)).toEqual(["limit", "starting_after"]);
    expect(Object.keys(doc.paths["/v1/invoices/{id}"]!.get!.responses)).toEqual(expect.arrayContaining(["200", "401", "404"]));
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["Invoice", "Problem", "SessionToken"]));
  });
});

describe("GET /docs", () => {
  it("serves interactive docs pointing at the document", async () => {
    const response = await call("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("/openapi.json");
  });
});
