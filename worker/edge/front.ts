// The edge front: what runs near the user when the data Worker is placed next to the database
// (docs/architecture.md, "Where each part runs"; the model in BENCHMARKS.md). It answers, with no
// long hop:
// - GET /health/live, and /docs/assets/* (in production the asset router answers those before
//   any Worker runs; this covers the paths a Worker sees);
// - input the data Worker would refuse whatever the route: the input guard with the largest body
//   limit (worker/http/input.ts: path and query text, JSON-only bodies, UTF-8, JSON shape);
// - a bearer token the data Worker has already refused (worker/edge/refusals.ts): an unknown,
//   revoked or expired API key (401), or a credential over its per-minute quota (429).
// Everything else goes to the data Worker unchanged (`forward`), which keeps every check of its
// own: the front adds refusals, never admits anything, so the data Worker need not trust it.
import { Hono, type MiddlewareHandler } from "hono";
import { requestId } from "hono/request-id";
import { looksLikeApiKey } from "../auth/api-key.ts";
import { inputGuard } from "../http/input.ts";
import { problem } from "../http/problem.ts";
import {
  INVALID_CREDENTIALS_DETAIL,
  keyRefusedHere,
  keyRefusedInKv,
  quotaRefusedHere,
  type QuotaRefusal,
  rememberQuotaRefusal,
  rememberRefusedKey,
  tokenHash,
} from "./refusals.ts";

/** What the front needs of its Worker's bindings. */
export interface EdgeEnv {
  AUTH_CACHE: KVNamespace;
  ASSETS: Fetcher;
  ENVIRONMENT: string;
}

/** Hands a request to the data Worker: a service binding deployed, the app in-process locally. */
export type Forward<E extends EdgeEnv> = (request: Request, env: E, ctx: ExecutionContext) => Promise<Response>;

type FrontEnv<E extends EdgeEnv> = { Bindings: E; Variables: { requestId: string } };

const QUOTA_DETAIL = /^Rate limit of \d+ requests per minute exceeded/;
/** API keys the data Worker accepted lately: no KV read for them (memory, this isolate). */
const ACCEPTED_TTL_MS = 30_000;
const accepted = new Map<string, number>();

const bearerToken = (header: string | undefined) => /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];

export function createEdgeFront<E extends EdgeEnv>(forward: Forward<E>) {
  const app = new Hono<FrontEnv<E>>();
  app.use(requestId({ headerName: "X-Request-Id" }));
  app.get("/health/live", (c) => c.json({ status: "ok" as const }, 200));
  app.get("/docs/assets/*", (c) => c.env.ASSETS.fetch(c.req.raw));
  // The guard reads only the request and the request id; its context type names the data
  // Worker's bindings, which it never touches.
  app.use(inputGuard("bulk") as unknown as MiddlewareHandler<FrontEnv<E>>);
  app.all("*", async (c) => {
    const raw = c.req.raw;
    const headers = new Headers(raw.headers);
    headers.set("x-request-id", c.get("requestId"));
    // The guard has read any body already (kept in Hono's cache): forward those bytes.
    const body = raw.method === "GET" || raw.method === "HEAD" ? null : await c.req.arrayBuffer();
    const request = new Request(raw.url, { method: raw.method, headers, body, redirect: "manual" });
    // Hono types its own narrower ExecutionContext; at run time it is the Worker's.
    const ctx = c.executionCtx as unknown as ExecutionContext;
    const token = bearerToken(c.req.header("authorization"));
    if (!token) return forward(request, c.env, ctx);

    const hash = await tokenHash(token);
    const isKey = looksLikeApiKey(token);
    const now = Date.now();
    if (isKey && keyRefusedHere(hash, now)) return invalidCredentials(c);
    const quota = quotaRefusedHere(hash, now);
    if (quota) return quotaExceeded(c, quota, now);

    const answer = forward(request, c.env, ctx);
    // KV's refusal mark is read alongside the forwarded request, so a good key pays no KV hop.
    if (isKey && !((accepted.get(hash) ?? 0) > now)) {
      const refused = await keyRefusedInKv(c.env.AUTH_CACHE, hash, now).catch(() => false);
      if (refused) {
        ctx.waitUntil(answer.then((r) => r.body?.cancel()).catch(() => undefined));
        return invalidCredentials(c);
      }
    }
    const response = await answer;
    await learn(c.env, ctx, response, hash, isKey);
    return response;
  });
  return app;
}

/** Records what the data Worker's answer says about the credential (see refusals.ts). */
async function learn(
  env: EdgeEnv,
  ctx: ExecutionContext,
  response: Response,
  hash: string,
  isKey: boolean,
): Promise<void> {
  const now = Date.now();
  if (response.status !== 401 && response.status !== 429) {
    if (isKey && response.status < 500) {
      if (accepted.size >= 10_000 && !accepted.has(hash)) accepted.delete(accepted.keys().next().value!);
      accepted.set(hash, now + ACCEPTED_TTL_MS);
    }
    return;
  }
  const detail = await response
    .clone()
    .json<{ detail?: unknown }>()
    .then((b) => String(b.detail ?? ""))
    .catch(() => "");
  if (response.status === 401 && isKey && detail === INVALID_CREDENTIALS_DETAIL) {
    accepted.delete(hash);
    ctx.waitUntil(rememberRefusedKey(env.AUTH_CACHE, hash, now).catch(() => undefined));
  }
  const retryAfter = Number(response.headers.get("retry-after"));
  if (response.status === 429 && QUOTA_DETAIL.test(detail) && retryAfter > 0) {
    rememberQuotaRefusal(hash, {
      until: now + retryAfter * 1000,
      limit: response.headers.get("ratelimit-limit") ?? "",
    });
  }
}

type FrontContext = Parameters<typeof problem>[0];

/** The data Worker's own 401 for these credentials (worker/auth/middleware.ts). */
const invalidCredentials = (c: FrontContext) =>
  problem(c, 401, "unauthorized", "Unauthorized", INVALID_CREDENTIALS_DETAIL, {
    headers: { "www-authenticate": 'Bearer realm="securebase"' },
  });

/** The data Worker's 429 of the per-subject quota, with the seconds left of its window. */
function quotaExceeded(c: FrontContext, quota: QuotaRefusal, now: number) {
  const seconds = String(Math.max(1, Math.ceil((quota.until - now) / 1000)));
  return problem(
    c,
    429,
    "rate-limited",
    "Too many requests",
    `Rate limit of ${quota.limit} requests per minute exceeded; retry after ${seconds} s.`,
    {
      headers: {
        "RateLimit-Limit": quota.limit,
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": seconds,
        "Retry-After": seconds,
      },
    },
  );
}

/** Forgets the keys this isolate saw accepted (tests). */
export function forgetAccepted(): void {
  accepted.clear();
}
