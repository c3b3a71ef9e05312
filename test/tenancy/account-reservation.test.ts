// Managed-account slots are reserved atomically against the tier's max_accounts: many
// concurrent reservations through separate connections never over-allocate.
import { describe, expect, it } from "vitest";
import { asCustomer, createCustomer } from "../../dev/fixtures.ts";
import { asApiRole, asOwner, proxyStats } from "../helpers/database.ts";

async function reserve(customerId: string, name: string): Promise<{ id: string } | { code: string }> {
  return asApiRole((client) =>
    asCustomer(client, customerId, async () => {
      const { rows } = await client.query("SELECT id FROM app.reserve_managed_account($1, 'production')", [name]);
      return { id: rows[0]!.id as string };
    }).catch((error: { code: string }) => ({ code: error.code })),
  );
}

async function openAccounts(customerId: string): Promise<number> {
  return asOwner((client) =>
    asCustomer(
      client,
      customerId,
      async () =>
        (await client.query("SELECT count(*)::int AS n FROM managed_accounts WHERE status <> 'closed'")).rows[0]!
          .n as number,
    ),
  );
}

describe("app.reserve_managed_account", () => {
  it("grants exactly max_accounts of 60 concurrent reservations (standard tier: 10), each on its own connection", async () => {
    const customer = await asOwner((client) =>
      createCustomer(client, { name: "Reserve", email: `reserve-${Date.now()}@example.com`, tier: "standard" }),
    );
    const before = await proxyStats();
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => reserve(customer, `acct-${i}`)));
    const after = await proxyStats();
    expect(after.connections - before.connections).toBeGreaterThanOrEqual(60);
    console.log(`reservation race: peak ${after.peakOpen} connections open at once`);

    const granted = outcomes.filter((o) => "id" in o);
    const refused = outcomes.filter((o) => "code" in o);
    expect(granted).toHaveLength(10);
    expect(refused).toHaveLength(50);
    expect(new Set(refused.map((o) => (o as { code: string }).code))).toEqual(new Set(["SB001"]));
    expect(await openAccounts(customer)).toBe(10);

    // Releasing a slot makes room for exactly one more.
    await asApiRole((client) =>
      asCustomer(client, customer, () =>
        client.query("SELECT app.release_managed_account($1)", [(granted[0] as { id: string }).id]),
      ),
    );
    const [again, overflow] = [await reserve(customer, "after-release"), await reserve(customer, "overflow")];
    expect(again).toHaveProperty("id");
    expect(overflow).toEqual({ code: "SB001" });
    expect(await openAccounts(customer)).toBe(10);
  });

  it("refuses without a tenant context", async () => {
    const outcome = await asApiRole((client) =>
      client.query("SELECT app.reserve_managed_account('x', 'production')").then(
        () => "ok",
        (e: { code: string }) => e.code,
      ),
    );
    expect(outcome).toBe("28000");
  });
});
