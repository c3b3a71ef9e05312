// Data residency (docs/residency.md): a customer's jurisdiction is set at onboarding (gov_federal
// defaults to fedramp), fixed afterwards, shown to staff and to the customer, and decides where
// its Durable Object state and R2 objects are created.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { jurisdictionOf } from "../../worker/auth/principal.ts";
import { namespaceIn } from "../../worker/platform/residency.ts";
import { recordsBucket } from "../../worker/platform/records-store.ts";
import { owner } from "../helpers/invites.ts";
import { expectProblem, send, type Schemas } from "../helpers/http.ts";
import { staffToken, userToken } from "../helpers/identity.ts";

type Onboarded = Schemas["OnboardedCustomer"];
let staff: string;
beforeAll(async () => {
  staff = (await staffToken()).token;
});

let counter = 0;
async function onboard(overrides: Record<string, unknown>): Promise<Onboarded> {
  const tag = `${Date.now().toString(36)}r${counter++}`;
  const response = await send("POST", "/v1/admin/customers", staff, {
    name: `Resident ${tag}`,
    email: `ops+${tag}@example.com`,
    tier: "standard",
    admin: { email: `admin-${tag}@example.com` },
    ...overrides,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Onboarded>();
}

describe("data_jurisdiction at onboarding", () => {
  it("defaults to fedramp for gov_federal and us otherwise", async () => {
    expect((await onboard({ tier: "gov_federal" })).customer.data_jurisdiction).toBe("fedramp");
    expect((await onboard({ tier: "healthcare" })).customer.data_jurisdiction).toBe("us");
  });

  it("takes the jurisdiction staff choose, shows it to staff and to the customer itself", async () => {
    const { customer } = await onboard({ data_jurisdiction: "eu" });
    expect(customer.data_jurisdiction).toBe("eu");
    const read = await send("GET", `/v1/admin/customers/${customer.id}`, staff);
    expect((await read.json<Schemas["Customer"]>()).data_jurisdiction).toBe("eu");
    const { token } = await userToken(customer.id, "viewer");
    const own = await send("GET", "/v1/customer", token);
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ id: customer.id, data_jurisdiction: "eu" });
  });

  it("refuses an unknown jurisdiction naming the field, and a change afterwards (PATCH and SQL)", async () => {
    await expectProblem(
      await send("POST", "/v1/admin/customers", staff, {
        name: "Nowhere",
        email: "ops+nowhere@example.com",
        tier: "standard",
        data_jurisdiction: "mars",
        admin: { email: "admin-nowhere@example.com" },
      }),
      { status: 422, field: "body.data_jurisdiction" },
    );
    const { customer } = await onboard({ data_jurisdiction: "eu" });
    await expectProblem(await send("PATCH", `/v1/admin/customers/${customer.id}`, staff, { data_jurisdiction: "us" }), {
      status: 422,
    });
    await expect(
      owner(customer.id, "UPDATE customers SET data_jurisdiction = 'us' WHERE id = $1", [customer.id]),
    ).rejects.toThrow(/fixed at onboarding/);
  });
});

describe("where state is created", () => {
  it("pins eu and fedramp Durable Objects to their jurisdiction in production; us stays global", () => {
    // workerd has no jurisdictions ("not implemented"): the namespace's view is observed on a stand-in.
    const asked: string[] = [];
    const namespace = {
      jurisdiction: (j: string) => {
        asked.push(j);
        return { pinned: j };
      },
    } as unknown as typeof env.RATE_LIMITER;
    expect(namespaceIn(namespace, "eu", "production")).toEqual({ pinned: "eu" });
    expect(namespaceIn(namespace, "fedramp", "staging")).toEqual({ pinned: "fedramp" });
    expect(namespaceIn(namespace, "us", "production")).toBe(namespace);
    expect(asked).toEqual(["eu", "fedramp"]);
    expect(() => env.RATE_LIMITER.jurisdiction("eu")).toThrow(/not implemented in workerd/);
    expect(namespaceIn(env.RATE_LIMITER, "fedramp", "test")).toBe(env.RATE_LIMITER);
  });

  it("keys the request quota by the customer's jurisdiction the credential carries, not by tier", () => {
    // Every lookup carries it (test/auth/principal-jurisdiction.test.ts).
    const principal = { tier: "gov_federal", dataJurisdiction: "fedramp" } as Parameters<typeof jurisdictionOf>[0];
    expect(jurisdictionOf(principal)).toBe("fedramp");
    expect(jurisdictionOf({ ...principal, dataJurisdiction: "us" })).toBe("us");
    expect(jurisdictionOf({ ...principal, tier: "standard", dataJurisdiction: "eu" })).toBe("eu");
  });

  it("picks the R2 bucket of the jurisdiction", () => {
    expect(recordsBucket(env, "eu")).toBe(env.RECORDS_EU);
    expect(recordsBucket(env, "fedramp")).toBe(env.RECORDS_FEDRAMP);
    expect(recordsBucket(env, "us")).toBe(env.RECORDS_US);
  });
});
