// The request path's side of the request counter (worker/platform/request-counter.ts holds the
// Durable Object): no runtime import of the object, so the HTTP app also builds outside workerd
// (the OpenAPI script).
import type { Env } from "../env.ts";

const COUNTER_NAME = "requests";

export const requestCounter = (env: Env) => env.REQUEST_COUNTER.get(env.REQUEST_COUNTER.idFromName(COUNTER_NAME));

/** Counts one answered request (waitUntil: never delays or fails the response). */
export function countRequest(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, status: number): void {
  const bump = requestCounter(env)
    .bump(Date.now(), 1, status >= 500 ? 1 : 0)
    .catch((error: unknown) => console.error(`request counter: ${error instanceof Error ? error.message : error}`));
  ctx.waitUntil(bump);
}
