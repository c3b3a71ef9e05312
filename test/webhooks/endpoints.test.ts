// /v1/webhooks/endpoints: CRUD, enable/disable, secrets shown once and stored encrypted,
// permissions, other tenants' endpoints look missing, validation names the field.
import { beforeAll, describe, expect, it } from "vitest";
import { as } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { expectProblem, expectSameAsMissing, send } from "../helpers/http.ts";
import { receiver } from "../helpers/sink.ts";
import { eventually } from "../helpers/wait.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
let admin: string;
let viewer: string;
let developer: string;
beforeAll(async () => {
  tenant = await createTenant();
  admin = (await userToken(tenant.customerId, "admin")).token;
  viewer = (await userToken(tenant.customerId, "viewer")).token;
  developer = (await userToken(tenant.customerId, "developer")).token;
});

describe("/v1/webhooks/endpoints", () => {
  it("creates an endpoint with a whsec_ secret shown once and stored only encrypted, audited", async () => {
    const hook = await receiver();
    const response = await send("POST", "/v1/webhooks/endpoints", developer, {
      url: hook.url,
      description: "CI",
      event_types: ["invoice.created"],
    });
    expect(response.status).toBe(201);
    const created = await response.json<{ id: string; secret: string; status: string; event_types: string[] }>();
    expect(created).toMatchObject({ status: "enabled", event_types: ["invoice.created"] });
    expect(response.headers.get("location")).toBe(`/v1/webhooks/endpoints/${created.id}`);

    const got = await (await send("GET", `/v1/webhooks/endpoints/${created.id}`, developer)).json<
      Record<string, unknown>
    >();
    expect(got).not.toHaveProperty("secret");
    const { sealed, audit } = await as("admin", async (client) => ({
      sealed: (
        await client.query("SELECT convert_from(secret_ciphertext, 'UTF8') AS s FROM webhook_endpoints WHERE id = $1", [
          created.id,
        ])
      ).rows[0]!.s as string,
      audit: (await client.query("SELECT action FROM audit_events WHERE resource_id = $1", [created.id])).rows.map(
        (r) => r.action,
      ),
    }));
    expect(sealed).toMatch(/^v2\./); // AES-GCM bound to its place (worker/platform/encryption.ts)
    expect(sealed).not.toContain(created.secret.slice(6));
    expect(audit).toEqual(["webhook_endpoint.created"]);
  });

  it("lists, updates, disables, enables and deletes", async () => {
    const hook = await receiver();
    const { id } = await (await send("POST", "/v1/webhooks/endpoints", admin, { url: hook.url })).json<{
      id: string;
    }>();
    const list = await (await send("GET", "/v1/webhooks/endpoints?limit=100", admin)).json<{
      data: { id: string }[];
    }>();
    expect(list.data.map((e) => e.id)).toContain(id);

    const updated = await send("PATCH", `/v1/webhooks/endpoints/${id}`, admin, {
      description: "renamed",
      event_types: ["api_key.created"],
    });
    expect(await updated.json()).toMatchObject({
      description: "renamed",
      event_types: ["api_key.created"],
      url: hook.url,
    });
    expect(await (await send("POST", `/v1/webhooks/endpoints/${id}/disable`, admin)).json()).toMatchObject({
      status: "disabled",
      disabled_reason: "manual",
    });
    expect(await (await send("POST", `/v1/webhooks/endpoints/${id}/enable`, admin)).json()).toMatchObject({
      status: "enabled",
      disabled_reason: null,
    });
    // A delivery to retry while disabled is refused; deleting takes the delivery log with it.
    expect((await send("POST", "/v1/api-keys", admin, { name: "delivered", scopes: ["invoices:read"] })).status).toBe(
      201,
    );
    const deliveries = await eventually(async () => {
      const d = await (
        await (
          await send("GET", `/v1/webhooks/endpoints/${id}/deliveries`, admin)
        ).json<{ data: { id: string; status: string }[] }>()
      ).data;
      expect(d[0]?.status === "succeeded", 'd[0]?.status === "succeeded"').toBe(true);
      return d;
    });
    await send("POST", `/v1/webhooks/endpoints/${id}/disable`, admin);
    await expectProblem(await send("POST", `/v1/webhooks/deliveries/${deliveries[0]!.id}/retry`, admin), {
      status: 409,
      type: "endpoint-disabled",
    });
    expect((await send("DELETE", `/v1/webhooks/endpoints/${id}`, admin)).status).toBe(204);
    await expectProblem(await send("GET", `/v1/webhooks/deliveries/${deliveries[0]!.id}`, admin), {
      status: 404,
      type: "not-found",
    });
    await expectProblem(await send("GET", `/v1/webhooks/endpoints/${id}`, admin), { status: 404, type: "not-found" });
  });

  it("answers 422 naming the field for a bad URL, an unknown event type or an unknown field", async () => {
    await expectProblem(await send("POST", "/v1/webhooks/endpoints", admin, { url: "ftp://example.com/x" }), {
      status: 422,
      type: "validation-error",
      field: "body.url",
    });
    await expectProblem(await send("POST", "/v1/webhooks/endpoints", admin, { url: "not a url" }), {
      status: 422,
      type: "validation-error",
      field: "body.url",
    });
    await expectProblem(
      await send("POST", "/v1/webhooks/endpoints", admin, {
        url: "https://hooks.example.com",
        event_types: ["nope.never"],
      }),
      { status: 422, type: "validation-error", field: "body.event_types.0" },
    );
    await expectProblem(
      await send("POST", "/v1/webhooks/endpoints", admin, { url: "https://hooks.example.com", extra: 1 }),
      { status: 422, type: "validation-error" },
    );
    await expectProblem(await send("POST", "/v1/webhooks/deliveries/not-a-uuid/retry", admin), {
      status: 400,
      type: "validation-error",
      field: "param.id",
    });
  });

  it("needs credentials and webhooks permissions", async () => {
    await expectProblem(await send("GET", "/v1/webhooks/endpoints", undefined), { status: 401 });
    await expectProblem(await send("GET", "/v1/webhooks/endpoints", viewer), { status: 403 });
    await expectProblem(await send("POST", "/v1/webhooks/endpoints", viewer, { url: "https://hooks.example.com" }), {
      status: 403,
    });
    await expectProblem(await send("GET", "/v1/webhooks/endpoints", tenant.key), { status: 403 }); // the fixture key holds no webhooks scope
  });

  it("treats another tenant's endpoint and delivery as missing, and changes nothing", async () => {
    const other = await createTenant();
    const otherAdmin = (await userToken(other.customerId, "admin")).token;
    const hook = await receiver();
    const { id } = await (await send("POST", "/v1/webhooks/endpoints", otherAdmin, { url: hook.url })).json<{
      id: string;
    }>();
    const missing = "0192f1c4-6a3e-7b8a-9d2c-3f4e5a6b7c8d";
    for (const [method, suffix, body] of [
      ["GET", "", undefined],
      ["PATCH", "", { description: "mine now" }],
      ["DELETE", "", undefined],
      ["POST", "/disable", undefined],
      ["POST", "/rotate-secret", {}],
      ["POST", "/test", undefined],
      ["GET", "/deliveries", undefined],
      ["POST", "/recover", { since: "2026-01-01T00:00:00Z" }],
    ] as const) {
      await expectSameAsMissing(
        await send(method, `/v1/webhooks/endpoints/${id}${suffix}`, admin, body),
        await send(method, `/v1/webhooks/endpoints/${missing}${suffix}`, admin, body),
      );
    }
    await expectSameAsMissing(
      await send("GET", `/v1/webhooks/deliveries/${missing}`, admin),
      await send("GET", `/v1/webhooks/deliveries/${missing}`, admin),
    );
    expect(await (await send("GET", `/v1/webhooks/endpoints/${id}`, otherAdmin)).json()).toMatchObject({
      status: "enabled",
      description: null,
    });
  });
});
