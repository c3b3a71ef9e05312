// Brings up the database side of the local stack, for `npm run dev` and the test setup:
// a Postgres (embedded, or the one DATABASE_URL names), the database with its owner, all
// migrations, login passwords for the API and jobs roles, and the WebSocket proxy in front.
import { migrate, type MigrationResult } from "../db/migrate.ts";
import {
  createOwnedDatabase,
  installContextKey,
  localCredentials,
  setLoginPasswords,
  startLocalPostgres,
  type LocalAuthMethod,
  withUser,
} from "./postgres.ts";
import { randomBytes } from "node:crypto";
import { proxyTokenKey } from "../services/ws-proxy/admission.ts";
import { startWsProxy, type WsProxy } from "../services/ws-proxy/proxy.ts";

export interface LocalStack {
  /** Superuser connection to the database (embedded Postgres only). */
  adminUrl?: string;
  /** Owner connection (migrations, seeding, test fixtures). */
  ownerUrl: string;
  /** The Worker's request role (sb_api). */
  apiUrl: string;
  /** The scheduled jobs' role (sb_jobs). */
  jobsUrl: string;
  /** The read-only reporting role (sb_analytics). */
  analyticsUrl: string;
  proxy: WsProxy;
  /** The Worker's DB_PROXY_TOKEN_KEY: the proxy admits only clients with tokens it signed. */
  proxyTokenKey: string;
  /** Stops the WebSocket proxy (connections cut, new ones refused) — for fault tests. */
  stopProxy: () => Promise<void>;
  /** Starts it again on the same port. */
  startProxy: () => Promise<void>;
  migrations: MigrationResult;
  stop: () => Promise<void>;
}

export async function startLocalStack(options: {
  /** Use this Postgres (an owner/admin URL) instead of an embedded one. */
  databaseUrl?: string;
  dataDir: string;
  pgPort: number;
  database: string;
  persistent: boolean;
  proxyPort?: number;
  proxyLatencyMs?: number;
  /** DB_CONTEXT_KEY ("kid:base64url-secret") to install for verifying tenant contexts. */
  contextKey: string;
  /** How the embedded Postgres authenticates clients (default cleartext password). */
  authMethod?: LocalAuthMethod;
  /** The proxy's token key (base64url, ≥ 32 bytes); default a new random one. */
  proxyTokenKey?: string;
}): Promise<LocalStack> {
  let stopPostgres: () => Promise<void> = async () => undefined;
  let ownerUrl: string;
  let adminUrl: string | undefined;
  if (options.databaseUrl) {
    ownerUrl = options.databaseUrl;
  } else {
    const pg = await startLocalPostgres({
      dataDir: options.dataDir,
      port: options.pgPort,
      persistent: options.persistent,
      authMethod: options.authMethod,
    });
    stopPostgres = pg.stop;
    await createOwnedDatabase(pg.adminUrl(), options.database);
    adminUrl = pg.adminUrl(options.database);
    ownerUrl = withUser(pg.adminUrl(options.database), localCredentials.owner.user, localCredentials.owner.password);
  }
  try {
    const migrations = await migrate(ownerUrl);
    await setLoginPasswords(ownerUrl);
    await installContextKey(ownerUrl, options.contextKey);
    const target = new URL(ownerUrl);
    // The same admission check as deployed (services/ws-proxy/admission.ts), with a local key.
    const tokenKeyText = options.proxyTokenKey ?? randomBytes(32).toString("base64url");
    const proxyOptions = {
      allow: [`${target.hostname}:${target.port || 5432}`],
      tokenKey: proxyTokenKey(tokenKeyText),
      port: options.proxyPort,
      latencyMs: options.proxyLatencyMs,
      exposeStats: true,
    };
    let proxy: WsProxy | undefined = await startWsProxy(proxyOptions);
    const port = proxy.port;
    const stack: LocalStack = {
      adminUrl,
      ownerUrl,
      apiUrl: withUser(ownerUrl, localCredentials.api.user, localCredentials.api.password),
      jobsUrl: withUser(ownerUrl, localCredentials.jobs.user, localCredentials.jobs.password),
      analyticsUrl: withUser(ownerUrl, localCredentials.analytics.user, localCredentials.analytics.password),
      get proxy() {
        if (!proxy) throw new Error("the WebSocket proxy is stopped");
        return proxy;
      },
      stopProxy: async () => {
        await proxy?.close();
        proxy = undefined;
      },
      startProxy: async () => {
        proxy ??= await startWsProxy({ ...proxyOptions, port });
      },
      proxyTokenKey: tokenKeyText,
      migrations,
      stop: async () => {
        await proxy?.close();
        await stopPostgres();
      },
    };
    return stack;
  } catch (error) {
    await stopPostgres();
    throw error;
  }
}
