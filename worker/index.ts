// Worker entry: HTTP (Hono app), Queues consumer and Cron Triggers.
// Only the platform (middleware, errors, database) is evaluated at startup: each domain's routes
// are built on first use (worker/domains.ts), and the queue consumer and cron jobs are imported
// when their first batch or trigger arrives — an isolate serving HTTP never evaluates them.
import { createEdgeApp } from "./app.ts";
import type { Env } from "./env.ts";
import type { QueueMessage } from "./events/messages.ts";

export { RateLimiter } from "./platform/rate-limiter.ts";

const app = createEdgeApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
    const { consumeEvents } = await import("../queues/events-consumer.ts");
    await consumeEvents(batch, env);
  },
  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const { runScheduled } = await import("../cron/index.ts");
    await runScheduled(controller.cron, env, new Date(controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, QueueMessage>;
