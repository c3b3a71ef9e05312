// /v1/accounts: managed AWS accounts reserved against the tier's max_accounts, over HTTP.
import { beforeAll, describe, expect, it } from "vitest";
import { adminQuery } from "../helpers/billing.ts";
import { userToken } from "../helpers/identity.ts";
import { expectProblem, expectSameAsMissing, type Schemas } from "../helpers/http.ts";
import { call, createTenant } from "../helpers/tenants.ts";

type Account = Schemas["ManagedAccount"];

const create = (token: string, body: unknown) =>
  call("/v1/accounts", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

let admin: string;
let customerId: string;

beforeAll(async () => {
  ({ customerId } = await createTenant());
  admin = (await userToken(customerId, "admin")).token;
});

describe("/v1/accounts", () => {
  it("creates, lists, gets and closes an account, audited", async () => {
    const response = await create(admin, { name: "payments-prod", environment: "production" });
    expect(response.status).toBe(201);
    const account = await response.json<Account>();
    expect(account).toMatchObject({
      object: "managed_account",
      name: "payments-prod",
      environment: "production",
      status: "provisioning",
      closed_at: null,
    });
    expect(response.headers.get("location")).toBe(`/v1/accounts/${account.id}`);

    const list = await (await call("/v1/accounts", { token: admin })).json<{ data: Account[] }>();
    expect(list.data.map((a) => a.id)).toContain(account.id);
    expect(await (await call(`/v1/accounts/${account.id}`, { token: admin })).json<Account>()).toEqual(account);

    const closed = await (await call(`/v1/accounts/${account.id}`, { method: "DELETE", token: admin })).json<Account>();
    expect(closed).toMatchObject({ id: account.id, status: "closed", closed_at: expect.any(String) });
    const again = await call(`/v1/accounts/${account.id}`, { method: "DELETE", token: admin });
    expect((await again.json<Account>()).closed_at).toBe(closed.closed_at);
    const closedList = await (await call("/v1/accounts?status=closed", { token: admin })).json<{ data: Account[] }>();
    expect(closedList.data.map((a) => a.id)).toEqual([account.id]);

    const audit = await adminQuery<{ action: string }>(
      "SELECT action FROM audit_events WHERE customer_id = $1 AND resource_id = $2 ORDER BY seq",
      [customerId, account.id],
    );
    expect(audit.map((a) => a.action)).toEqual(["account.created", "account.closed"]);
  });

  it("never over-allocates: 50 concurrent creates at the standard limit of 10 get exactly the free slots", async () => {
    const tenant = await createTenant({ tier: "standard" });
    const { token } = await userToken(tenant.customerId, "admin");
    const first = await (await create(token, { name: "existing", environment: "logging" })).json<Account>();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => create(token, { name: `race-${i}`, environment: "sandbox" })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(9);
    expect(statuses.filter((s) => s === 409)).toHaveLength(41);
    const refused = responses.find((r) => r.status === 409)!;
    const problem = await expectProblem(refused, { status: 409, type: "account-limit-reached" });
    expect(problem.detail).toContain("at most 10 open managed accounts");
    const [open] = await adminQuery<{ n: number }>(
      "SELECT count(*)::int AS n FROM managed_accounts WHERE customer_id = $1 AND status <> 'closed'",
      [tenant.customerId],
    );
    expect(open!.n).toBe(10);

    // Closing frees a slot for exactly one more.
    await call(`/v1/accounts/${first.id}`, { method: "DELETE", token });
    expect((await create(token, { name: "after-close", environment: "staging" })).status).toBe(201);
    await expectProblem(await create(token, { name: "one-too-many", environment: "staging" }), {
      status: 409,
      type: "account-limit-reached",
    });
  });

  it("is a 404 for another tenant's account, like a missing one", async () => {
    const other = await createTenant();
    const theirs = (await userToken(other.customerId, "admin")).token;
    const account = await (await create(theirs, { name: "theirs", environment: "production" })).json<Account>();
    await expectSameAsMissing(
      await call(`/v1/accounts/${account.id}`, { token: admin }),
      await call(`/v1/accounts/0192a000-0000-7000-8000-0000000fffff`, { token: admin }),
    );
    await expectProblem(await call(`/v1/accounts/${account.id}`, { method: "DELETE", token: admin }), {
      status: 404,
      type: "not-found",
    });
    const [row] = await adminQuery<{ status: string }>("SELECT status FROM managed_accounts WHERE id = $1", [
      account.id,
    ]);
    expect(row!.status).toBe("provisioning");
  });

  it("needs accounts:write to change and accounts:read to see", async () => {
    await expectProblem(await call("/v1/accounts"), { status: 401 });
    const viewer = (await userToken(customerId, "viewer")).token;
    expect((await call("/v1/accounts", { token: viewer })).status).toBe(200);
    await expectProblem(await create(viewer, { name: "nope", environment: "production" }), {
      status: 403,
      type: "insufficient-permission",
    });
    const limited = await createTenant({ scopes: ["invoices:read"] });
    await expectProblem(await call("/v1/accounts", { token: limited.key }), {
      status: 403,
      type: "insufficient-permission",
    });
  });

  it("validates the body (422 naming the field)", async () => {
    await expectProblem(await create(admin, { name: "x", environment: "moon" }), {
      status: 422,
      type: "validation-error",
      field: "body.environment",
    });
    await expectProblem(await create(admin, { name: "", environment: "production" }), {
      status: 422,
      type: "validation-error",
      field: "body.name",
    });
    await expectProblem(await create(admin, { name: "y".repeat(101), environment: "production" }), {
      status: 422,
      type: "validation-error",
      field: "body.name",
    });
  });
  it("renames an account (audited with before and after), refuses a closed one, and a viewer", async () => {
    const rename = (token: string, id: string, body: unknown) =>
      call(`/v1/accounts/${id}`, {
        method: "PATCH",
        token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const account = await (await create(admin, { name: "old-name", environment: "staging" })).json<Account>();
    const renamed = await rename(admin, account.id, { name: "new-name" });
    expect(renamed.status).toBe(200);
    expect(await renamed.json<Account>()).toMatchObject({ id: account.id, name: "new-name", environment: "staging" });
    expect((await (await call(`/v1/accounts/${account.id}`, { token: admin })).json<Account>()).name).toBe("new-name");
    const [event] = await adminQuery<{ action: string; data: unknown }>(
      "SELECT action, data FROM audit_events WHERE customer_id = $1 AND resource_id = $2 AND action = 'account.renamed'",
      [customerId, account.id],
    );
    expect(event?.data).toEqual({ before: { name: "old-name" }, after: { name: "new-name" } });

    await expectProblem(await rename(admin, account.id, { name: "" }), {
      status: 422,
      type: "validation-error",
      field: "body.name",
    });
    const viewer = (await userToken(customerId, "viewer")).token;
    await expectProblem(await rename(viewer, account.id, { name: "viewer-name" }), {
      status: 403,
      type: "insufficient-permission",
    });
    const other = await createTenant();
    const theirs = (await userToken(other.customerId, "admin")).token;
    await expectProblem(await rename(theirs, account.id, { name: "stolen" }), { status: 404, type: "not-found" });
    await call(`/v1/accounts/${account.id}`, { method: "DELETE", token: admin });
    await expectProblem(await rename(admin, account.id, { name: "after-close" }), {
      status: 409,
      type: "account-closed",
    });
  });
});
