// Worker entry: HTTP (Hono app), Queues consumer and Cron Triggers.
//
// Nothing is built at startup. The HTTP platform (middleware, errors, the database driver) is
// imported on the first request, and each domain's routes on the first request that reaches
// them (worker/domains.ts); the queue consumer and the cron jobs on their first batch or trigger.
// So an isolate builds only what its work needs: one that serves invoices never builds the
// support desk's schemas, and one that runs the rate limiter's Durable Object, a cron trigger or
// a queue batch never builds the HTTP application. (`import()` of our own modules stays in the
// one bundle; esbuild evaluates each module when it is first imported.)
import type { Env } from "./env.ts";
import type { QueueMessage } from "./events/messages.ts";

export { RateLimiter } from "./platform/rate-limit-counter.ts";
export { RequestCounter } from "./platform/request-counter.ts";

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;
let edgeApp: Promise<Fetch> | undefined;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    edgeApp ??= import("./app.ts").then(({ createEdgeApp }) => createEdgeApp().fetch);
    return (await edgeApp)(request, env, ctx);
  },
  async queue(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
    // The events queue's dead-letter queue (wrangler.toml `<queue>-dlq`): record, then ack.
    if (batch.queue.endsWith("-dlq")) {
      const { consumeDeadLetters } = await import("../queues/dead-letters.ts");
      return consumeDeadLetters(batch, env);
    }
    const { consumeEvents } = await import("../queues/events.ts");
    await consumeEvents(batch, env);
  },
  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const { runScheduled } = await import("../cron/index.ts");
    await runScheduled(controller.cron, env, new Date(controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, QueueMessage>;
