// Direct database access for tests, from inside workerd through the same WebSocket proxy the
// Worker uses. The owner connection writes fixtures (RLS binds it too: fixtures set context).
import { Client } from "@neondatabase/serverless";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { configureDriver } from "../../worker/platform/database.ts";

export async function connect(url: string): Promise<Client> {
  configureDriver(env);
  const client = new Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Runs `work` with a fresh owner connection and always closes it. */
export async function asOwner<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(inject("ownerUrl"));
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Runs `work` as the API's request role (sb_api), like a request would, without context. */
export async function asApiRole<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(inject("apiUrl"));
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface ProxyStats {
  connections: number;
  roundTrips: number;
  open: number;
}

export async function proxyStats(): Promise<ProxyStats> {
  const response = await fetch(inject("proxyStatsUrl"));
  return (await response.json()) as ProxyStats;
}
