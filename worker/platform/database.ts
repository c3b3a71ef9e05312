// The one way a request reaches Postgres.
//
// A RequestDatabase is created per request by the `database()` middleware, connects lazily on
// first use (requests that need no database open no connection) and is always closed after the
// response through ctx.waitUntil: in Workers a connection cannot outlive its request.
//
// Tenant work runs only inside `tenant(context, ...)`, which starts a transaction and sets the
// signed tenant context transaction-locally (set_config(..., true)), so the context dies with
// the transaction and cannot leak through a transaction-pooling proxy (RDS Proxy, Hyperdrive),
// and SQL cannot forge it (see tenant-context.ts).
// Drizzle is only ever handed out inside that transaction; and even a raw query outside it
// would see no tenant rows, because every tenant policy compares with a context that is unset.
import { Client, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import type { Env } from "../env.ts";
import { DATABASE_TIMEOUTS } from "./database-errors.ts";
import { iamAuthConfig, withIamToken } from "./database-iam.ts";
import { proxyTarget, signProxyToken } from "./database-proxy-token.ts";
import { setContextSql, signTenantContext, type TenantContext } from "./tenant-context.ts";

// No relational schema is passed to drizzle (nothing uses `db.query`): with one, drizzle walks
// every table's relations on each drizzle() call (per transaction), and the Worker would evaluate
// all table definitions at startup rather than each domain's own on first use.
export type Database = NeonDatabase;
export type TransactionMode = "read" | "write";

let configuredFor: string | undefined;

type DriverEnv = Pick<Env, "DB_WS_PROXY_URL" | "DB_PIPELINE_CONNECT" | "DB_IAM_AUTH_REGION">;

/**
 * neonConfig is module-global; set it once per isolate from the bindings. With IAM auth the
 * password is always a token the server asks for in clear, so start-up is always pipelined.
 */
export function configureDriver(env: DriverEnv): void {
  const pipeline = env.DB_PIPELINE_CONNECT === "password" || Boolean(env.DB_IAM_AUTH_REGION?.trim());
  const key = `${env.DB_WS_PROXY_URL}|${pipeline}`;
  if (configuredFor === key) return;
  const proxy = new URL(env.DB_WS_PROXY_URL);
  const secure = proxy.protocol === "wss:";
  // Without a token (a client not given one by withProxyToken) the proxy refuses the connection.
  neonConfig.wsProxy = (host: string, port: number | string) => proxyUrl(env, `${host}:${port}`);
  neonConfig.useSecureWebSocket = secure;
  neonConfig.pipelineTLS = false; // TLS, when used, is the WebSocket's (wss), not Postgres'
  neonConfig.pipelineConnect = pipeline ? "password" : false;
  configuredFor = key;
}

/**
 * The driver rejects a failed WebSocket with the socket's ErrorEvent, which is not an Error:
 * Hono's error handler only sees Errors, so it would escape as an uncaught exception.
 */
export function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  const message = (error as { message?: unknown })?.message;
  return new Error(
    `database connection failed: ${typeof message === "string" && message ? message : "WebSocket error"}`,
    { cause: error },
  );
}

/**
 * The connection string the driver gets for `url`: with IAM auth (DB_IAM_AUTH_REGION set) its
 * password is replaced by an RDS IAM auth token (database-iam.ts), for every role the Worker
 * connects as; otherwise `url` as it is (local dev and tests: the role's password).
 */
export async function driverConnectionString(
  env: Pick<Env, "DB_IAM_AUTH_REGION" | "DB_IAM_ACCESS_KEY_ID" | "DB_IAM_SECRET_ACCESS_KEY">,
  url: string,
): Promise<string> {
  const iam = iamAuthConfig(env);
  return iam ? withIamToken(url, iam) : url;
}

/** The proxy URL (no scheme, as the driver wants it) for `target`, with its token if given. */
function proxyUrl(env: Pick<Env, "DB_WS_PROXY_URL">, target: string, token?: string): string {
  const proxy = new URL(env.DB_WS_PROXY_URL);
  // A JWT is URL-safe as it is (base64url parts and dots).
  return `${proxy.host}${proxy.pathname}?address=${target}${token ? `&token=${token}` : ""}`;
}

/**
 * Makes `client` (not yet connected) show the proxy a fresh token for its target
 * (database-proxy-token.ts): the proxy admits only clients holding DB_PROXY_TOKEN_KEY. The hook
 * is the client's own, so concurrent clients never share a token.
 */
export async function withProxyToken(
  client: Client,
  env: Pick<Env, "DB_WS_PROXY_URL" | "DB_PROXY_TOKEN_KEY">,
  connectionString: string,
): Promise<Client> {
  const token = await signProxyToken(env, proxyTarget(connectionString));
  client.neonConfig.wsProxy = (host: string, port: number | string) => proxyUrl(env, `${host}:${port}`, token);
  return client;
}

function tokenClient(
  env: Pick<Env, "DB_WS_PROXY_URL" | "DB_PROXY_TOKEN_KEY">,
  connectionString: string,
  queryMs: number = DATABASE_TIMEOUTS.queryMs,
): Promise<Client> {
  return withProxyToken(newClient(connectionString, queryMs), env, connectionString);
}

/** A client that gives up instead of hanging when Postgres or the proxy stops answering. */
function newClient(connectionString: string, queryMs: number): Client {
  const client = new Client({
    connectionString,
    connectionTimeoutMillis: DATABASE_TIMEOUTS.connectMs,
    query_timeout: queryMs,
  });
  ended.set(
    client,
    new Promise<void>((resolve) =>
      client.once("end", () => {
        gone.add(client);
        resolve();
      }),
    ),
  );
  return client;
}

/** Settles when the client's connection has ended, for whatever reason (see endClient). */
const ended = new WeakMap<Client, Promise<void>>();
/** Clients whose connection has already ended. */
const gone = new WeakSet<Client>();

/**
 * Closes a client without hanging. `client.end()` waits for the connection's next "end" event,
 * which never comes when the socket already died (the proxy or Postgres went away mid-request):
 * nothing is left to wake the promise, so workerd cancels the waiting request, queue batch or
 * waitUntil task as hung (the soak showed it). The client's own "end", listened for from the
 * start, settles it in that case.
 */
async function endClient(client: Client): Promise<void> {
  // Already ended: client.end() would still write a Terminate to the dead WebSocket, and the
  // driver sends it from a timer, where "send() after close()" is thrown with no caller to catch it.
  if (gone.has(client)) return;
  await Promise.race([client.end().catch(() => undefined), ended.get(client)]);
}

export class RequestDatabase {
  #connection?: Promise<Client>;
  #pending: Promise<unknown>[] = [];
  #closing = false;
  #commitGate?: Promise<void>;
  #subjectCheck?: { sql: string; gone: () => Error };
  readonly #url: string;
  readonly #env: Env;

  constructor(env: Env, url: string = env.DATABASE_URL) {
    this.#env = env;
    this.#url = url;
  }

  #connect(): Promise<Client> {
    if (!this.#connection) {
      configureDriver(this.#env);
      this.#connection = driverConnectionString(this.#env, this.#url).then(async (connectionString) => {
        const client = await tokenClient(this.#env, connectionString);
        // Without a listener, a dropped socket surfaces as an unhandled error. Once we are closing,
        // the socket's teardown ("Network connection lost") is expected and not worth a log line.
        client.on("error", (error) => {
          if (!this.#closing) console.warn("postgres connection error:", error.message);
        });
        return client.connect().then(
          () => client,
          (error: unknown) => {
            throw asError(error);
          },
        );
      });
    }
    return this.#connection;
  }

  /**
   * Writes commit only once `gate` resolves; if it rejects, they roll back with its error. Auth
   * uses it to check a session token's revocation (a KV read) in parallel with the request's
   * first round trips instead of before them.
   */
  holdCommitsUntil(gate: Promise<void>): void {
    gate.catch(() => undefined); // observed here; the rejection is delivered at COMMIT
    this.#commitGate = gate;
  }

  /**
   * Every write transaction also runs `sql` (one row, a boolean column `alive`) in its first round
   * trip, under its context, and fails with `gone()` unless it is true. Auth uses it so a caller
   * whose user or key no longer exists cannot write, whatever a cache said about it.
   */
  checkSubjectOnWrites(sql: string, gone: () => Error): void {
    this.#subjectCheck = { sql, gone };
  }

  /** A query with no tenant context: for checks and SECURITY DEFINER lookups only. */
  async system<T extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = await this.#connect();
    const result = await client.query(text, values);
    return result.rows as T[];
  }

  /**
   * Runs `work` in a transaction bound to one customer. BEGIN and the context travel in one
   * round trip. A read-only transaction's COMMIT is not awaited (nothing can be lost): it is
   * sent and awaited in close(), after the response.
   */
  async tenant<T>(
    context: TenantContext,
    mode: TransactionMode,
    work: (db: Database) => Promise<T>,
    options: { beforeCommit?: () => string | undefined } = {},
  ): Promise<T> {
    const signed = await signTenantContext(this.#env.DB_CONTEXT_KEY, context);
    const client = await this.#connect();
    const check = mode === "write" ? this.#subjectCheck : undefined;
    const begun: unknown = await client.query(
      `BEGIN${mode === "read" ? " READ ONLY" : ""}; ${setContextSql(signed)}${check ? `; ${check.sql}` : ""}`,
    );
    if (check) {
      const last = (begun as { rows: { alive?: unknown }[] }[]).at(-1);
      if (last?.rows[0]?.alive !== true) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw check.gone();
      }
    }
    let result: T;
    try {
      result = await work(drizzle({ client }));
      if (mode === "write" && this.#commitGate) await this.#commitGate;
    } catch (error) {
      // The link may be what failed: the rollback is best effort (the server rolls back an
      // abandoned transaction by itself), and the original error is what the caller sees.
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    if (mode === "read") {
      // Awaited in close(); a failure here (the link dropped) loses nothing of a read.
      this.#pending.push(client.query("COMMIT").catch(() => undefined));
      return result;
    }
    // Work buffered for the end of the transaction (outbox rows) shares COMMIT's round trip.
    const ahead = options.beforeCommit?.();
    if (!ahead) {
      await client.query("COMMIT");
      return result;
    }
    try {
      await client.query(`${ahead}; COMMIT`);
    } catch (error) {
      // The statement ahead failed, so COMMIT never ran: end the aborted transaction.
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    return result;
  }

  /** Closes the connection (if one was opened) after pending work settles. Never throws. */
  async close(): Promise<void> {
    if (!this.#connection) return;
    const connection = this.#connection;
    this.#connection = undefined;
    await Promise.allSettled(this.#pending);
    this.#closing = true;
    try {
      await endClient(await connection);
    } catch {
      // connect failed or the socket is gone: nothing left to close
    }
  }
}

/** Runs a job (cron, queue consumer) on the jobs role, in one transaction, then closes. */
export async function withJobsDatabase<T>(env: Env, work: (db: Database) => Promise<T>): Promise<T> {
  return withJobsSession(env, (transact) => transact(work));
}

/**
 * A jobs-role connection for work that commits in several transactions (the billing run commits
 * each batch): `transact(fn)` runs fn in its own transaction. Closed afterwards, always.
 */
export async function withJobsSession<T>(
  env: Env,
  work: (transact: <R>(fn: (db: Database) => Promise<R>) => Promise<R>) => Promise<T>,
): Promise<T> {
  configureDriver(env);
  const client = await tokenClient(
    env,
    await driverConnectionString(env, env.JOBS_DATABASE_URL),
    DATABASE_TIMEOUTS.jobQueryMs,
  );
  let closing = false;
  client.on("error", (error) => {
    if (!closing) console.warn("postgres connection error:", error.message);
  });
  await client.connect().catch((error: unknown) => {
    throw asError(error);
  });
  const db = drizzle({ client });
  const transact = async <R>(fn: (db: Database) => Promise<R>): Promise<R> => {
    await client.query("BEGIN");
    try {
      const result = await fn(db);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  };
  try {
    return await work(transact);
  } finally {
    closing = true;
    await endClient(client);
  }
}
