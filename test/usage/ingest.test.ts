// POST /v1/admin/usage: platform-only, all-or-nothing, idempotent forever, exact rollups.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { addMonths, monthOf } from "../../worker/billing/periods.ts";
import { asApiRole, asOwner } from "../helpers/database.ts";
import { adminQuery, backdate } from "../helpers/billing.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { expectProblem, type Schemas } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

type IngestBody = Schemas["UsageIngestResult"];

let staff: string;
let alice: TestTenant;
let bob: TestTenant;
let tag = 0;
const eventId = () => `evt-${Date.now()}-${tag++}`;
// Events at the first minutes of today: in the past (or within the 5-minute future allowance)
// whatever the time of day the suite runs, and after the start of the tenant's first month.
const today = new Date().toISOString().slice(0, 10);
const thisMonth = monthOf(new Date());

const ingest = (events: unknown[], token = staff) =>
  call("/v1/admin/usage", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });

const eventsOf = async (customerId: string) =>
  (
    await adminQuery<{ n: number }>("SELECT count(*)::int AS n FROM usage_events WHERE customer_id = $1", [customerId])
  )[0]!.n;

beforeAll(async () => {
  staff = (await staffToken()).token;
  alice = await createTenant();
  bob = await createTenant();
});

describe("POST /v1/admin/usage", () => {
  it("accepts a batch for several customers and reports each event; totals are exact", async () => {
    const events = [
      {
        event_id: eventId(),
        customer_id: alice.customerId,
        metric: "nat_processing_gb",
        quantity: 0.1,
        occurred_at: `${today}T00:00:00Z`,
      },
      {
        event_id: eventId(),
        customer_id: alice.customerId,
        metric: "nat_processing_gb",
        quantity: "0.2",
        occurred_at: `${today}T00:01:00Z`,
      },
      {
        event_id: eventId(),
        customer_id: bob.customerId,
        metric: "log_storage_gb_month",
        quantity: "100",
        occurred_at: `${today}T00:00:00Z`,
      },
    ];
    const response = await ingest(events);
    expect(response.status).toBe(200);
    const body = await response.json<IngestBody>();
    expect(body).toMatchObject({ accepted: 3, duplicates: 0, conflicts: 0 });
    expect(body.data.map((d) => [d.index, d.event_id, d.status])).toEqual(
      events.map((e, i) => [i, e.event_id, "accepted"]),
    );

    const usage = await (await call(`/v1/usage?granularity=month`, { token: alice.key })).json<{
      data: { metric: string; quantity: string; events: number }[];
    }>();
    expect(usage.data).toEqual([
      { metric: "nat_processing_gb", period_start: thisMonth, quantity: "0.300000", events: 2 },
    ]);
  });

  it("is idempotent forever: a resend is `duplicate`, a changed payload under the same id is `conflict`; totals do not move", async () => {
    const id = eventId();
    const event = {
      event_id: id,
      customer_id: alice.customerId,
      metric: "log_storage_gb_month",
      quantity: "5",
      occurred_at: `${today}T00:02:00Z`,
    };
    expect((await (await ingest([event])).json<IngestBody>()).accepted).toBe(1);
    const again = await (
      await ingest([event, { ...event, quantity: "6" }, { ...event, event_id: eventId() }])
    ).json<IngestBody>();
    expect(again.data.map((d) => d.status)).toEqual(["duplicate", "conflict", "accepted"]);
    expect(again).toMatchObject({ accepted: 1, duplicates: 1, conflicts: 1 });
    // The same event id for another customer is another event.
    expect((await (await ingest([{ ...event, customer_id: bob.customerId }])).json<IngestBody>()).accepted).toBe(1);
    const [stored] = await adminQuery<{ quantity: string }>(
      "SELECT quantity::text FROM usage_events WHERE customer_id = $1 AND event_id = $2",
      [alice.customerId, id],
    );
    expect(stored!.quantity).toBe("5.000000");
    const [monthly] = await adminQuery<{ quantity: string }>(
      "SELECT quantity::text FROM usage_monthly WHERE customer_id = $1 AND metric = 'log_storage_gb_month' AND month = $2",
      [alice.customerId, thisMonth],
    );
    expect(monthly!.quantity).toBe("10.000000");
  });

  it("puts a late event in the day and month it occurred (UTC), not the day it arrived", async () => {
    const customer = await createTenant();
    const lastMonth = addMonths(thisMonth, -1);
    await backdate(customer.customerId, lastMonth); // usage before the customer's first month is refused
    const at = `${lastMonth.slice(0, 8)}15T23:30:00-02:00`; // the 16th in UTC
    expect(
      (
        await (
          await ingest([
            {
              event_id: eventId(),
              customer_id: customer.customerId,
              metric: "nat_processing_gb",
              quantity: 7,
              occurred_at: at,
            },
          ])
        ).json<IngestBody>()
      ).accepted,
    ).toBe(1);
    const daily = await (await call(`/v1/usage?from=${lastMonth}&to=${thisMonth}`, { token: customer.key })).json<{
      data: unknown[];
    }>();
    expect(daily.data).toEqual([
      { metric: "nat_processing_gb", period_start: `${lastMonth.slice(0, 8)}16`, quantity: "7.000000", events: 1 },
    ]);
  });

  it("records one audit event for the batch in the staff member's trail", async () => {
    const response = await ingest([
      {
        event_id: eventId(),
        customer_id: bob.customerId,
        metric: "nat_processing_gb",
        quantity: 1,
        occurred_at: `${today}T00:03:00Z`,
      },
    ]);
    const requestId = response.headers.get("x-request-id");
    const rows = await adminQuery<{ action: string; actor_type: string; summary: string }>(
      "SELECT action, actor_type, summary FROM audit_events WHERE request_id = $1",
      [requestId],
    );
    expect(rows).toEqual([
      { action: "usage.ingested", actor_type: "staff", summary: expect.stringContaining("1 accepted") },
    ]);
  });
});

describe("POST /v1/admin/usage is platform-only", () => {
  const event = () => ({
    event_id: eventId(),
    customer_id: alice.customerId,
    metric: "nat_processing_gb",
    quantity: 1,
    occurred_at: `${today}T00:00:00Z`,
  });

  it("needs credentials", async () => {
    await expectProblem(
      await call("/v1/admin/usage", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ events: [event()] }),
      }),
      { status: 401 },
    );
  });

  it("refuses a customer's own admin and its API keys: a tenant never creates billable usage", async () => {
    const before = await eventsOf(alice.customerId);
    const admin = await userToken(alice.customerId, "admin");
    await expectProblem(await ingest([event()], admin.token), { status: 403, type: "insufficient-permission" });
    await expectProblem(await ingest([event()], alice.key), { status: 403, type: "insufficient-permission" });
    expect(await eventsOf(alice.customerId)).toBe(before);
  });

  it("refuses the request role writing usage rows itself, even in its own tenant context", async () => {
    await expect(
      asApiRole((client) =>
        asCustomer(client, alice.customerId, () =>
          client.query(
            "INSERT INTO usage_events (customer_id, event_id, metric, quantity, occurred_at) VALUES ($1, 'sneaky', 'nat_processing_gb', 1, now())",
            [alice.customerId],
          ),
        ),
      ),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(
      asApiRole((client) => asCustomer(client, alice.customerId, () => client.query("SELECT app.ingest_usage('[]')"))),
    ).rejects.toMatchObject({ code: "42501" });
  });
});

describe("POST /v1/admin/usage validation: 422 naming body.events.N.field, nothing written", () => {
  const good = () => ({
    event_id: eventId(),
    customer_id: alice.customerId,
    metric: "nat_processing_gb",
    quantity: 1,
    occurred_at: `${today}T00:00:00Z`,
  });
  const future = new Date(Date.now() + 10 * 60_000).toISOString();
  const tooOld = `${addMonths(thisMonth, -4)}T00:00:00Z`;

  it.each([
    ["an unknown metric", { metric: "gpu_hours" }, "metric"],
    ["a malformed metric", { metric: "NAT!" }, "metric"],
    ["a negative quantity", { quantity: -1 }, "quantity"],
    ["a non-finite quantity", { quantity: "Infinity" }, "quantity"],
    ["a quantity finer than 6 decimals", { quantity: "0.0000001" }, "quantity"],
    ["an occurred_at more than 5 minutes ahead", { occurred_at: future }, "occurred_at"],
    ["an occurred_at before the look-back window", { occurred_at: tooOld }, "occurred_at"],
    ["an unknown customer", { customer_id: "0192a000-0000-7000-8000-0000000fffff" }, "customer_id"],
    ["an unknown field", { extra: true }, ""],
  ])("%s", async (_label, change, field) => {
    const before = await eventsOf(alice.customerId);
    const body = await expectProblem(await ingest([good(), { ...good(), ...change }]), {
      status: 422,
      type: "validation-error",
    });
    expect(body.errors!.map((e) => e.field).some((f) => f === `body.events.1${field ? `.${field}` : ""}`)).toBe(true);
    expect(await eventsOf(alice.customerId)).toBe(before);
  });

  it("refuses usage from before the customer's first month (never billed), naming the earliest accepted time", async () => {
    const customer = await createTenant();
    const twoMonthsAgo = addMonths(thisMonth, -2);
    const lastMonth = addMonths(thisMonth, -1);
    // Onboarded mid-month: the billing run bills it from that month on (created before the month ended).
    await backdate(customer.customerId, `${lastMonth.slice(0, 8)}15T12:00:00Z`);
    const event = (occurred_at: string) => ({
      event_id: eventId(),
      customer_id: customer.customerId,
      metric: "nat_processing_gb",
      quantity: 1,
      occurred_at,
    });
    const justBefore = new Date(Date.parse(`${lastMonth}T00:00:00Z`) - 1).toISOString();
    for (const early of [justBefore, `${twoMonthsAgo}T00:00:00Z`]) {
      const body = await expectProblem(await ingest([event(`${today}T00:00:00Z`), event(early)]), {
        status: 422,
        type: "validation-error",
        field: "body.events.1.occurred_at",
      });
      const error = body.errors!.find((e) => e.field === "body.events.1.occurred_at")!;
      expect(error.code).toBe("before_customer");
      expect(error.message).toContain(`is before ${lastMonth}T00:00:00Z`);
      expect(body.errors!.map((e) => e.field)).toEqual(["body.events.1.occurred_at"]);
    }
    expect(await eventsOf(customer.customerId)).toBe(0);
    // From the first instant of the month it was created in, usage is accepted (and billed).
    const accepted = await ingest([event(`${lastMonth}T00:00:00Z`), event(`${lastMonth.slice(0, 8)}02T09:00:00Z`)]);
    expect(accepted.status).toBe(200);
    expect((await accepted.json<IngestBody>()).accepted).toBe(2);
  });

  it("refuses an account of another customer (or none)", async () => {
    const [account] = await asOwner((client) =>
      asCustomer(
        client,
        bob.customerId,
        async () => (await client.query("SELECT id FROM app.reserve_managed_account('bob-prod', 'production')")).rows,
      ),
    );
    await expectProblem(await ingest([good(), { ...good(), account_id: account!.id }]), {
      status: 422,
      type: "validation-error",
      field: "body.events.1.account_id",
    });
    const ok = await ingest([{ ...good(), customer_id: bob.customerId, account_id: account!.id }]);
    expect((await ok.json<IngestBody>()).accepted).toBe(1);
  });

  it("takes at most 1,000 events, and at least one", async () => {
    await expectProblem(await ingest(Array.from({ length: 1001 }, good)), {
      status: 422,
      type: "validation-error",
      field: "body.events",
    });
    await expectProblem(await ingest([]), { status: 422, type: "validation-error", field: "body.events" });
  });
});
