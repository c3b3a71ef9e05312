// RDS Proxy IAM auth end to end in workerd, against the real Postgres behind the WebSocket proxy:
// with DB_IAM_AUTH_REGION set, the request database and the jobs database log in with the IAM
// token instead of the password in their URL, and start-up stays pipelined even where
// DB_PIPELINE_CONNECT says "false". Postgres stands in for the RDS Proxy: a throwaway login
// role whose password is the very token the Worker will present (tokens are cached per isolate,
// so the test mints it first and the Worker reuses it).
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { cachedRdsAuthToken } from "../../worker/platform/database-iam.ts";
import { RequestDatabase, withJobsDatabase } from "../../worker/platform/database.ts";
import { as, databaseUrl, proxyStats } from "../helpers/database.ts";

const role = `sb_iam_probe_${crypto.randomUUID().slice(0, 8)}`;
const iam = {
  region: "us-east-1",
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const api = new URL(databaseUrl("api"));
// The URL a deploy stores: right user and host, but a password that Postgres would refuse.
const probeUrl = `postgres://${role}:not-the-password@${api.host}${api.pathname}`;
const iamEnv: Env = {
  ...env,
  DATABASE_URL: probeUrl,
  JOBS_DATABASE_URL: probeUrl,
  DB_PIPELINE_CONNECT: "false",
  DB_IAM_AUTH_REGION: iam.region,
  DB_IAM_ACCESS_KEY_ID: iam.accessKeyId,
  DB_IAM_SECRET_ACCESS_KEY: iam.secretAccessKey,
};

beforeAll(async () => {
  const token = await cachedRdsAuthToken({ host: api.hostname, port: Number(api.port || 5432), user: role }, iam);
  expect(token).toMatch(/^[\w.:/?&=%-]+$/); // safe inside a SQL literal
  await as("admin", (client) => client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${token}'`));
});

afterAll(async () => {
  await as("admin", (client) => client.query(`DROP ROLE IF EXISTS ${role}`));
});

describe("RDS Proxy IAM auth (DB_IAM_AUTH_REGION set)", () => {
  it("a request's database logs in with the token, not the URL's password, in pipelined start-up", async () => {
    const before = (await proxyStats()).byUser[role]?.roundTrips ?? 0;
    const db = new RequestDatabase(iamEnv);
    try {
      expect(await db.system<{ user: string }>("SELECT current_user AS user")).toEqual([{ user: role }]);
    } finally {
      await db.close();
    }
    const stats = (await proxyStats()).byUser[role]!;
    expect(stats.connections).toBeGreaterThanOrEqual(1);
    // Start-up and token go in one flight, the query right behind them (1 or 2 round trips,
    // depending on whether the query reaches the proxy before Postgres answers). Without
    // pipelining the driver waits for the server's password request first: 3 (more with SCRAM).
    expect(stats.roundTrips - before).toBeGreaterThanOrEqual(1);
    expect(stats.roundTrips - before).toBeLessThanOrEqual(2);
  });

  it("jobs log in with the token too", async () => {
    const user = await withJobsDatabase(
      iamEnv,
      async (db) => (await db.execute<{ user: string }>("SELECT current_user AS user")).rows[0]!.user,
    );
    expect(user).toBe(role);
  });

  it("without IAM auth the same URL's password is what is sent, and Postgres refuses it", async () => {
    const db = new RequestDatabase({ ...iamEnv, DB_IAM_AUTH_REGION: "", DB_PIPELINE_CONNECT: "password" });
    try {
      await expect(db.system("SELECT 1")).rejects.toThrow(/password authentication failed/);
    } finally {
      await db.close();
    }
  });
});
