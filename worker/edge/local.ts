// Front and data Worker in one process, for `npm run dev`, the tests of the front and the latency
// bench: the front calls the data Worker's fetch in-process instead of over a service binding.
// In development and test only, a request header X-Simulated-Hop-Ms delays that call by the given
// one-way latency each way: the long hop of the latency model (dev/bench/latency.ts), set per
// request so the bench can interleave near and far requests on one stack.
import type { Env } from "../env.ts";
import data from "../index.ts";
import type { QueueMessage } from "../events/messages.ts";
import { isLocalEnvironment } from "../webhooks/url-policy.ts";
import { createEdgeFront } from "./front.ts";
import { SIMULATED_HOP_HEADER } from "./simulated-hop.ts";

// Every Durable Object class wrangler.toml binds must be exported by the entrypoint.
export { RateLimiter, RequestCounter } from "../index.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const front = createEdgeFront<Env>(async (request, env, ctx) => {
  const hop = isLocalEnvironment(env) ? Number(request.headers.get(SIMULATED_HOP_HEADER) ?? 0) || 0 : 0;
  if (hop > 0) await sleep(Math.min(hop, 10_000));
  const response = await data.fetch(request, env, ctx);
  if (hop === 0) return response;
  await sleep(hop);
  // Tells the bench this answer crossed the simulated hop (it counts them).
  const crossed = new Response(response.body, response);
  crossed.headers.set(SIMULATED_HOP_HEADER, String(hop));
  return crossed;
});

export default {
  fetch: (request, env, ctx) => front.fetch(request, env, ctx),
  queue: (batch, env) => data.queue(batch, env),
  scheduled: (controller, env) => data.scheduled(controller, env),
} satisfies ExportedHandler<Env, QueueMessage>;
