// The database side of `npm run dev` (scripts/dev.ts): local secrets, the checkout's Postgres
// (dev/dev-instance.ts decides where its data lives), migrations, the demo seed, and an identity of
// the database the local Worker state must belong to.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { chooseDataDir, runningPostmaster } from "./dev-instance.ts";
import { fixtureClient } from "./fixtures.ts";
import { startLocalStack, type LocalStack } from "./local-stack.ts";
import { seedDemoBilling } from "./seed/billing.ts";
import { seedDemoPastDue, seedDemoSettlement } from "./seed/settlement.ts";
import { seedDemo, seedDemoUsers, type DemoUser } from "./seed/demo.ts";
import { seedDemoTickets } from "./seed/support.ts";
import { seedDemoAccounts } from "./seed/accounts.ts";

export interface DevSecrets {
  sessionSigningKeys: string;
  dbContextKey: string;
  dataEncryptionKey: string;
  sesSecretAccessKey: string;
}

/** A problem the developer can act on: printed as is, without a stack. */
export class DevStartError extends Error {}

export interface DevDatabase {
  stack: LocalStack;
  secrets: DevSecrets;
  keys: Awaited<ReturnType<typeof seedDemo>>;
  demoUsers: DemoUser[];
  /** Names this database (cluster system identifier + database oid): a new database, a new identity. */
  identity: string;
  /** The embedded Postgres data directory (none with DATABASE_URL). */
  dataDir?: string;
  notes: string[];
}

/** Local secrets, kept per checkout so session tokens and contexts survive a restart. */
async function loadSecrets(dataRoot: string): Promise<DevSecrets> {
  const file = join(dataRoot, "dev-secrets.json");
  const saved: Partial<DevSecrets> = existsSync(file) ? JSON.parse(await readFile(file, "utf8")) : {};
  const secrets: DevSecrets = {
    sessionSigningKeys: saved.sessionSigningKeys ?? `dev1:${randomBytes(32).toString("base64url")}`,
    dbContextKey: saved.dbContextKey ?? `ctx1:${randomBytes(32).toString("base64url")}`,
    dataEncryptionKey: saved.dataEncryptionKey ?? `dek1:${randomBytes(32).toString("base64url")}`,
    sesSecretAccessKey: saved.sesSecretAccessKey ?? randomBytes(30).toString("base64"),
  };
  await writeFile(file, `${JSON.stringify(secrets)}\n`, { mode: 0o600 });
  return secrets;
}

async function databaseIdentity(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ oid: string }>(
      "SELECT oid::text FROM pg_database WHERE datname = current_database()",
    );
    let cluster: string;
    try {
      // Superuser (or pg_monitor) only; a new initdb gives a new system identifier.
      cluster = (await client.query("SELECT system_identifier::text AS id FROM pg_control_system()")).rows[0].id;
    } catch {
      const u = new URL(url);
      cluster = `${u.hostname}:${u.port}`;
    }
    return `${cluster}-${rows[0]!.oid}`;
  } finally {
    await client.end();
  }
}

export async function startDevDatabase(options: {
  /** The checkout's .data directory. */
  dataRoot: string;
  databaseUrl?: string;
  pgPort: number;
  proxyPort: number;
  proxyLatencyMs?: number;
  /** Also seed demo usage and billing runs, and support tickets (slower; off in tests). */
  fullSeed?: boolean;
}): Promise<DevDatabase> {
  const { dataRoot } = options;
  await mkdir(dataRoot, { recursive: true });
  const secrets = await loadSecrets(dataRoot);
  const notes: string[] = [];
  let dataDir: string | undefined;
  if (!options.databaseUrl) {
    const chosen = chooseDataDir(dataRoot);
    dataDir = chosen.dir;
    if (chosen.note) notes.push(chosen.note);
    const running = runningPostmaster(dataDir);
    if (running)
      throw new DevStartError(
        `This checkout's Postgres (${dataDir}) is already running: pid ${running.pid}, port ${running.port}. ` +
          `Stop the \`npm run dev\` that started it (Ctrl-C), or \`kill ${running.pid}\` if none is left.`,
      );
  }
  const stack = await startLocalStack({
    databaseUrl: options.databaseUrl,
    dataDir: dataDir ?? join(dataRoot, "postgres"),
    pgPort: options.pgPort,
    database: "securebase",
    persistent: true,
    proxyPort: options.proxyPort,
    proxyLatencyMs: options.proxyLatencyMs ?? 0,
    contextKey: secrets.dbContextKey,
  });
  try {
    const owner = new pg.Client({ connectionString: stack.ownerUrl });
    await owner.connect();
    let keys: DevDatabase["keys"];
    let demoUsers: DemoUser[];
    try {
      const client = fixtureClient(owner, secrets.dbContextKey);
      keys = await seedDemo(client, join(dataRoot, "demo-keys.json"));
      demoUsers = await seedDemoUsers(client, join(dataRoot, "demo-users.json"), secrets.dataEncryptionKey);
      if (options.fullSeed) {
        const billing = await seedDemoBilling(stack.jobsUrl);
        notes.push(
          `demo billing: ${billing.accepted} usage events ingested, ${billing.invoices} invoices issued by the billing run`,
        );
        const settled = await seedDemoSettlement(stack.apiUrl, secrets.dbContextKey);
        if (settled.length > 0) notes.push(`demo settlement: ${settled.join("; ")}`);
        const pastDue = await seedDemoPastDue(client);
        if (pastDue.length > 0) notes.push(`demo dunning: ${pastDue.join("; ")}`);
        await seedDemoTickets(client);
        await seedDemoAccounts(client);
      }
    } finally {
      await owner.end();
    }
    const identity = await databaseIdentity(stack.adminUrl ?? stack.ownerUrl);
    return { stack, secrets, keys, demoUsers, identity, dataDir, notes };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
