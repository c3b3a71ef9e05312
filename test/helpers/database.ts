// Direct database access for tests, from inside workerd through the same WebSocket proxy the
// Worker uses. The owner connection writes fixtures (RLS binds it too: fixtures set context).
import { Client } from "@neondatabase/serverless";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { fixtureClient, type FixtureClient } from "../../dev/fixtures.ts";
import { configureDriver, withProxyToken } from "../../worker/platform/database.ts";
import { eventually } from "./wait.ts";

export async function connect(url: string): Promise<Client> {
  configureDriver(env);
  const client = await withProxyToken(new Client({ connectionString: url }), env, url);
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

export type Role = "admin" | "owner" | "api" | "analytics" | "jobs";
const urls: Record<Role, () => string> = {
  admin: () => inject("adminUrl"),
  owner: () => inject("ownerUrl"),
  api: () => inject("apiUrl"),
  analytics: () => inject("analyticsUrl"),
  jobs: () => inject("jobsUrl"),
};

/**
 * A role's URL for this test file's database: its workerd's own copy (vitest.config.ts), the
 * one the Worker's bindings name. The injected URLs name the template, which refuses
 * connections.
 */
export function databaseUrl(role: Role): string {
  return Object.assign(new URL(urls[role]()), { pathname: new URL(env.DATABASE_URL).pathname }).toString();
}

/**
 * Runs `work` on a fresh connection as one of the database roles and always closes it. The
 * client signs tenant contexts with the test DB_CONTEXT_KEY (see fixtures' asCustomer).
 */
export async function as<T>(role: Role, work: (client: FixtureClient) => Promise<T>): Promise<T> {
  const client = await connect(databaseUrl(role));
  try {
    return await work(fixtureClient(client, env.DB_CONTEXT_KEY));
  } finally {
    await client.end();
  }
}

export const asOwner = <T>(work: (client: FixtureClient) => Promise<T>) => as("owner", work);
/** The API's request role (sb_api), like a request, without a context unless the work sets one. */
export const asApiRole = <T>(work: (client: FixtureClient) => Promise<T>) => as("api", work);

export interface ProxyStats {
  byUser: Record<string, { connections: number; roundTrips: number } | undefined>;
  connections: number;
  roundTrips: number;
  open: number;
  peakOpen: number;
}

/**
 * The proxy's counters for this test file's connections only (the Worker's and the helpers'):
 * each workerd reaches the proxy through its own /v2/<tag> (vitest.config.ts) and runs one file
 * at a time, so files running at the same time do not see each other's round trips.
 */
export async function proxyStats(): Promise<ProxyStats> {
  const tag = new URL(env.DB_WS_PROXY_URL).pathname.split("/")[2];
  if (!tag) throw new Error(`DB_WS_PROXY_URL has no per-file tag: ${env.DB_WS_PROXY_URL}`);
  const response = await fetch(`${inject("proxyStatsUrl")}/${tag}`);
  return (await response.json()) as ProxyStats;
}

/**
 * Waits until this file has no connection open through the proxy: the Worker closes its
 * connection after the response (ctx.waitUntil), so counters read before that miss round trips.
 */
export async function proxySettled(): Promise<ProxyStats> {
  return eventually(async () => {
    const stats = await proxyStats();
    if (stats.open > 0) throw new Error(`${stats.open} connections still open`);
    return stats;
  });
}
