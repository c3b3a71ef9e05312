// The tenant context is signed by the Worker and verified by Postgres with a key the API role
// cannot read (docs/data-model.md: even SQL injection cannot bypass RLS). Each test plays an attacker who
// can run any SQL as the API role inside tenant A's request and wants tenant B's data.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { signTenantContext } from "../../worker/platform/tenant-context.ts";
import { asApiRole } from "../helpers/database.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

let a: TestTenant;
let b: TestTenant;
beforeAll(async () => {
  a = await createTenant({ invoices: 2 });
  b = await createTenant({ invoices: 3 });
});

type Outcome = { ids: string[] } | { error: string; code: string };

/** Runs the attack inside A's legitimately signed transaction, then reads invoices. */
async function inA(attack: string[], read = "SELECT customer_id::text AS id FROM invoices"): Promise<Outcome> {
  return asApiRole(async (client) => {
    try {
      return await asCustomer(client, a.customerId, async () => {
        for (const sql of attack) await client.query(sql);
        const { rows } = await client.query(read);
        return { ids: [...new Set(rows.map((r) => r.id as string))] };
      });
    } catch (error) {
      return { error: (error as Error).message, code: (error as { code: string }).code };
    }
  });
}

const neverB = (outcome: Outcome) => {
  if ("ids" in outcome) expect(outcome.ids).not.toContain(b.customerId);
};

describe("an attacker inside tenant A's transaction", () => {
  it("sees A's rows to begin with", async () => {
    expect(await inA([])).toEqual({ ids: [a.customerId] });
  });

  it("cannot switch tenant with the old unsigned setting name", async () => {
    const outcome = await inA([`SELECT set_config('app.customer_id', '${b.customerId}', true)`]);
    expect(outcome).toEqual({ ids: [a.customerId] });
  });

  it("cannot switch tenant by rewriting the context without a signature", async () => {
    const forged = JSON.stringify({
      kid: "ctxtest",
      cid: b.customerId,
      uid: null,
      role: null,
      sa: false,
      exp: 9999999999,
    });
    const outcome = await inA([`SELECT set_config('app.context', '${forged}', true)`]);
    expect(outcome).toMatchObject({ code: "28000", error: expect.stringContaining("signature is invalid") });
  });

  it("cannot reuse A's valid signature on a context naming B", async () => {
    const outcome = await inA([
      `SELECT set_config('app.context', replace(current_setting('app.context'), '${a.customerId}', '${b.customerId}'), true)`,
    ]);
    expect(outcome).toMatchObject({ code: "28000" });
  });

  it("cannot sign with a key of its own choosing or a made-up kid", async () => {
    const own = await signTenantContext(`ctxtest:${btoa("x".repeat(32))}`, { customerId: b.customerId });
    const outcome = await inA([
      `SELECT set_config('app.context', '${own.context}', true), set_config('app.context_sig', '${own.signature}', true)`,
    ]);
    expect(outcome).toMatchObject({ code: "28000" });
    const other = await signTenantContext(`made-up:${btoa("y".repeat(32))}`, { customerId: b.customerId });
    expect(
      await inA([
        `SELECT set_config('app.context', '${other.context}', true), set_config('app.context_sig', '${other.signature}', true)`,
      ]),
    ).toMatchObject({ code: "28000" });
  });

  it("cannot claim super admin or another role inside A's context", async () => {
    const outcome = await inA([
      `SELECT set_config('app.context', replace(current_setting('app.context'), '"sa":false', '"sa":true'), true)`,
    ]);
    expect(outcome).toMatchObject({ code: "28000" });
  });

  it("cannot use a session-level SET either", async () => {
    const forged = JSON.stringify({
      kid: "ctxtest",
      cid: b.customerId,
      uid: null,
      role: null,
      sa: false,
      exp: 9999999999,
    });
    expect(await inA([`SET app.context = '${forged}'`])).toMatchObject({ code: "28000" });
  });

  it("cannot read the signing keys", async () => {
    const outcome = await inA([], "SELECT encode(secret, 'hex') AS id FROM app_private.context_keys");
    expect(outcome).toMatchObject({ code: "42501" });
  });

  it("cannot become another role", async () => {
    for (const role of ["sb_owner", "sb_jobs", "sb_context", "sb_auth", "postgres"]) {
      const outcome = await inA([`SET LOCAL ROLE ${role}`]);
      expect(outcome, role).toMatchObject({ code: "42501" });
    }
    expect(await inA(["SET SESSION AUTHORIZATION postgres"])).toMatchObject({ code: "42501" });
  });

  it("cannot replace the context functions or shadow them", async () => {
    expect(
      await inA([
        "CREATE OR REPLACE FUNCTION app.current_customer_id() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$",
      ]),
    ).toMatchObject({ code: "42501" });
    expect(
      await inA(["CREATE FUNCTION public.current_customer_id() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$"]),
    ).toMatchObject({ code: "42501" });
    expect(await inA(["SET LOCAL search_path = pg_temp, public"])).toEqual({ ids: [a.customerId] });
  });

  it("cannot turn RLS off or grant itself more", async () => {
    expect(await inA(["ALTER TABLE invoices DISABLE ROW LEVEL SECURITY"])).toMatchObject({ code: "42501" });
    expect(await inA(["SET LOCAL row_security = off"])).toMatchObject({ code: "42501" });
    expect(await inA(["GRANT sb_jobs TO sb_api"])).toMatchObject({ code: "42501" });
  });

  it("gets no rows by resetting the context, never all rows", async () => {
    expect(await inA(["RESET app.context"])).toEqual({ ids: [] });
    expect(await inA(["SELECT set_config('app.context', '', true)"])).toEqual({ ids: [] });
  });

  it("sees nothing of B through the SECURITY DEFINER functions it may call", async () => {
    const outcome = await inA(
      [],
      "SELECT customer_id::text AS id FROM app.resolve_api_key(decode(repeat('ab', 32), 'hex'))",
    );
    expect(outcome).toEqual({ ids: [] });
    neverB(await inA([], "SELECT customer_id::text AS id FROM activity_feed"));
  });
});

describe("a context that was signed but has expired", () => {
  it("is rejected", async () => {
    const stale = await signTenantContext(
      (await import("cloudflare:workers")).env.DB_CONTEXT_KEY,
      { customerId: a.customerId },
      Date.now() - 10 * 60_000,
    );
    const outcome = await asApiRole(async (client) => {
      try {
        await client.query("BEGIN");
        await client.query("SELECT set_config('app.context', $1, true), set_config('app.context_sig', $2, true)", [
          stale.context,
          stale.signature,
        ]);
        await client.query("SELECT * FROM invoices");
        return "read";
      } catch (error) {
        return (error as Error).message;
      } finally {
        await client.query("ROLLBACK");
      }
    });
    expect(outcome).toContain("expired");
  });
});

describe("a context signed with the real key but without an expiry", () => {
  /** Signs exactly `context` with DB_CONTEXT_KEY, as the Worker would, whatever it contains. */
  async function signRaw(context: string): Promise<{ context: string; signature: string }> {
    const config = (await import("cloudflare:workers")).env.DB_CONTEXT_KEY;
    const secret = Uint8Array.from(
      atob(
        config
          .slice(config.indexOf(":") + 1)
          .replaceAll("-", "+")
          .replaceAll("_", "/"),
      ),
      (ch) => ch.charCodeAt(0),
    );
    const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(context)));
    return { context, signature: [...mac].map((b) => b.toString(16).padStart(2, "0")).join("") };
  }

  const read = (signed: { context: string; signature: string }) =>
    asApiRole(async (client) => {
      try {
        await client.query("BEGIN");
        await client.query("SELECT set_config('app.context', $1, true), set_config('app.context_sig', $2, true)", [
          signed.context,
          signed.signature,
        ]);
        const { rows } = await client.query("SELECT customer_id::text AS id FROM invoices");
        return { ids: [...new Set(rows.map((r) => r.id as string))] };
      } catch (error) {
        return { error: (error as Error).message, code: (error as { code: string }).code };
      } finally {
        await client.query("ROLLBACK");
      }
    });

  it.each([
    ["missing", (cid: string) => ({ kid: "ctxtest", cid, uid: null, role: null, sa: false })],
    ["null", (cid: string) => ({ kid: "ctxtest", cid, uid: null, role: null, sa: false, exp: null })],
    ["a string", (cid: string) => ({ kid: "ctxtest", cid, uid: null, role: null, sa: false, exp: "9999999999" })],
  ])("is rejected when exp is %s", async (_case, build) => {
    const kid = (await import("cloudflare:workers")).env.DB_CONTEXT_KEY.split(":")[0];
    const body = { ...build(a.customerId), kid };
    expect(await read(await signRaw(JSON.stringify(body)))).toMatchObject({ code: "28000" });
    // The same context with a valid exp is accepted: only the expiry is at fault.
    const valid = { ...body, exp: Math.floor(Date.now() / 1000) + 60 };
    expect(await read(await signRaw(JSON.stringify(valid)))).toEqual({ ids: [a.customerId] });
  });
});
