// Worker entry: HTTP (Hono app), Queues consumer and Cron Triggers.
import { createApp } from "./app.ts";
import type { Env } from "./env.ts";
import type { QueueMessage } from "./events/messages.ts";
import { consumeEvents } from "../queues/events-consumer.ts";
import { runScheduled } from "../cron/index.ts";

export { RateLimiter } from "./platform/rate-limiter.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
    await consumeEvents(batch, env);
  },
  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    await runScheduled(controller.cron, env, new Date(controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, QueueMessage>;
