// When Postgres is slow or stuck, requests end in a bounded time with a 503/504 problem and
// Retry-After, nothing is half-written, and service recovers by itself.
import { describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { classifyDatabaseError } from "../../worker/platform/database-errors.ts";
import { userToken } from "../helpers/identity.ts";
import { expectProblem } from "../helpers/http.ts";
import { asApiRole, asOwner } from "../helpers/database.ts";
import { call, createTenant } from "../helpers/tenants.ts";

describe("server-side timeouts per role", () => {
  it("the API role's statements are cancelled by the server after its statement_timeout", async () => {
    const started = Date.now();
    const error = await asApiRole((client) => client.query("SELECT pg_sleep(7)")).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("57014"); // query_canceled: statement timeout
    expect(classifyDatabaseError(error)).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(6_900);
  });

  it("every login role has a statement timeout; the API role also lock and idle-in-transaction ones", async () => {
    const settings = await asOwner(async (client) => {
      const { rows } = await client.query(
        `SELECT r.rolname, s.setconfig FROM pg_roles r
           LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid AND s.setdatabase = 0
          WHERE r.rolname IN ('sb_api', 'sb_jobs', 'sb_analytics')`,
      );
      return Object.fromEntries(rows.map((r) => [r.rolname as string, (r.setconfig as string[] | null) ?? []]));
    });
    for (const role of ["sb_api", "sb_jobs", "sb_analytics"]) {
      expect(
        settings[role]!.some((s) => s.startsWith("statement_timeout=")),
        role,
      ).toBe(true);
    }
    expect(settings.sb_api).toEqual(
      expect.arrayContaining(["lock_timeout=3s", "idle_in_transaction_session_timeout=15s"]),
    );
  });
});

describe("a write that waits on a lock too long", () => {
  it("is a 504 problem with Retry-After, and changes nothing (no update, no audit row)", async () => {
    const tenant = await createTenant({ tier: "gov_federal" });
    const { token } = await userToken(tenant.customerId, "admin");
    const { user: target } = await userToken(tenant.customerId, "viewer");
    const auditCount = () =>
      asOwner((client) =>
        asCustomer(client, tenant.customerId, async () =>
          Number(
            (await client.query("SELECT count(*) FROM audit_events WHERE resource_id = $1", [target.id])).rows[0]!
              .count,
          ),
        ),
      );
    const auditBefore = await auditCount();

    // Another session holds the user's row lock for longer than sb_api's lock_timeout (3 s).
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holder = asOwner((client) =>
      asCustomer(client, tenant.customerId, async () => {
        await client.query("SELECT id FROM users WHERE id = $1 FOR UPDATE", [target.id]);
        locked();
        await released;
      }),
    );
    await lockTaken;
    try {
      const started = Date.now();
      const response = await call(`/v1/users/${target.id}`, {
        method: "PATCH",
        token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ role: "billing" }),
      });
      await expectProblem(response, { status: 504, type: "database-timeout" });
      expect(response.headers.get("retry-after")).toBe("2");
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      release();
      await holder;
    }

    const role = await asOwner((client) =>
      asCustomer(
        client,
        tenant.customerId,
        async () => (await client.query("SELECT role FROM users WHERE id = $1", [target.id])).rows[0]!.role,
      ),
    );
    expect(role).toBe("viewer");
    expect(await auditCount()).toBe(auditBefore);

    // Once the lock is gone, the same request succeeds: nothing needs to be reset.
    const retried = await call(`/v1/users/${target.id}`, {
      method: "PATCH",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ role: "billing" }),
    });
    expect(retried.status).toBe(200);
  });
});
