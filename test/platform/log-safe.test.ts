// Logs carry no personal data and no query parameters (docs/security.md): a failed email names
// the message id, not the recipient, and a database error is logged as its SQLSTATE and message
// without the parameters Drizzle puts into its own error text.
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sendDueEmails } from "../../worker/notifications/email.ts";
import { withJobsDatabase } from "../../worker/platform/database.ts";
import { safeError } from "../../worker/platform/log-safe.ts";
import { as } from "../helpers/database.ts";
import { createTenant } from "../helpers/tenants.ts";

const logged = () => {
  const lines: string[] = [];
  for (const method of ["error", "warn", "log", "info"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (a instanceof Error ? `${a.message} ${String(a.cause)}` : String(a))).join(" "));
    });
  }
  return lines;
};
afterEach(() => vi.restoreAllMocks());

describe("log lines", () => {
  it("a failed email names the message, not its recipient", async () => {
    const tenant = await createTenant();
    const recipient = `private-person-${Date.now()}@example.com`;
    const { rows } = await as("jobs", (client) =>
      client.query(
        "INSERT INTO email_messages (customer_id, event_type, to_address, data) VALUES ($1, 'user.invited', $2, '{}') RETURNING id",
        [tenant.customerId, recipient],
      ),
    );
    const id = rows[0]!.id as string;
    const lines = logged();
    // Nothing listens on port 9 of the loopback: the SES call fails for real.
    const result = await sendDueEmails({ ...env, SES_ENDPOINT: "http://127.0.0.1:9" }, [id]);
    expect(result).toMatchObject({ failed: 1 });
    expect(lines.join("\n")).toContain(id);
    expect(lines.join("\n")).not.toContain(recipient);
  });

  it("a database error is described without the query's parameters", async () => {
    const secret = `secret-param-${Date.now()}`;
    const error = await withJobsDatabase(env, (db) => db.execute(sql`SELECT 1 / 0 AS x, ${secret}::text AS y`)).then(
      () => null,
      (e: unknown) => e,
    );
    // Drizzle's own message carries the parameter: that is what must not reach a log.
    expect(String((error as Error).message)).toContain(secret);
    const line = safeError(error);
    expect(line).toContain("22012");
    expect(line).not.toContain(secret);
  });
});
