// The API-key endpoints in the OpenAPI document: named schemas, permissions, documented problems.
import { describe, expect, it } from "vitest";
import { fetchDocument } from "../helpers/openapi.ts";

describe("the API-key endpoints in GET /openapi.json", () => {
  it("declares every operation with its permission, named schemas and problem responses", async () => {
    const doc = await fetchDocument();
    const keys = doc.paths["/v1/api-keys"]!;
    const one = doc.paths["/v1/api-keys/{id}"]!;
    const rotate = doc.paths["/v1/api-keys/{id}/rotate"]!.post!;

    expect(keys.post!["x-required-permission"]).toBe("api_keys:write");
    expect(keys.get!["x-required-permission"]).toBe("api_keys:read");
    expect(one.get!["x-required-permission"]).toBe("api_keys:read");
    expect(one.delete!["x-required-permission"]).toBe("api_keys:write");
    expect(rotate["x-required-permission"]).toBe("api_keys:write");
    for (const op of [keys.post!, keys.get!, one.get!, one.delete!, rotate]) {
      expect(op.security).toEqual([{ bearerAuth: [] }]);
      expect(op.summary).toBeTruthy();
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403"]));
    }

    expect(keys.post!.requestBody!.content["application/json"]!.schema.$ref).toBe(
      "#/components/schemas/CreateApiKeyRequest",
    );
    expect(keys.post!.responses["201"]!.content!["application/json"]!.schema.$ref).toBe(
      "#/components/schemas/NewApiKey",
    );
    expect(keys.post!.parameters!.map((p) => p.name)).toContain("idempotency-key");
    expect(keys.get!.parameters!.map((p) => p.name)).toEqual(["limit", "starting_after", "status"]);
    expect(one.get!.responses["200"]!.content!["application/json"]!.schema.$ref).toBe("#/components/schemas/ApiKey");
    expect(Object.keys(one.get!.responses)).toContain("404");
    expect(rotate.requestBody!.content["application/json"]!.schema.$ref).toBe(
      "#/components/schemas/RotateApiKeyRequest",
    );
    expect(Object.keys(rotate.responses)).toEqual(expect.arrayContaining(["201", "404", "409", "422"]));
    expect(rotate.description).toContain("604800");

    const schemas = doc.components.schemas;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(["ApiKey", "NewApiKey", "ApiKeyList", "CreateApiKeyRequest", "RotateApiKeyRequest"]),
    );
    // NewApiKey = ApiKey + the secret.
    const [base, extra] = schemas.NewApiKey!.allOf!;
    expect(base!.$ref).toBe("#/components/schemas/ApiKey");
    expect(extra!.properties!.key!.description).toMatch(/shown only/i);
    expect(schemas.ApiKey!.properties).not.toHaveProperty("key");
    expect(schemas.RotateApiKeyRequest!.properties!.grace_period_seconds).toMatchObject({
      maximum: 604800,
      example: 3600,
    });
    expect(schemas.CreateApiKeyRequest!.properties!.name!.example).toBe("CI deploy");
  });
});
