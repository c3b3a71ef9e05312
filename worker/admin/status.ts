// GET /v1/admin/status — what an operator checks first (SecureBase staff only): the last run of
// each Cron job (from job_runs), the outbox backlog and its oldest unpublished event's age, dead
// webhook deliveries, and where to look for the events queue's dead letters. /health stays the
// cheap liveness probe; this one reads across tenants through app.platform_status() (migration
// 0030: aggregates only, refused unless the signed context is super_admin).
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { schedule } from "../../cron/schedule.ts";
import type { AppEnv } from "../http/context.ts";
import { problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import type { Database } from "../platform/database.ts";
import { readAs } from "../http/transactions.ts";

/** What app.platform_status() returns (jsonb; timestamps as ISO text). */
interface PlatformStatusRow {
  jobs: {
    job: string;
    cron: string | null;
    status: "running" | "succeeded" | "failed";
    started_at: string;
    finished_at: string | null;
  }[];
  outbox: { unpublished: number; oldest_unpublished_at: string | null };
  dead_webhook_deliveries: number;
  queue_redeliveries_24h: number;
  checked_at: string;
  /** app.platform_email_status() (0230): the email sender's counts. */
  emails: { pending: number; failed_24h: number; suppressed_24h: number; suppressed_addresses: number };
}

export async function platformStatus(db: Database): Promise<PlatformStatusRow> {
  const result = await db.execute<{ status: Omit<PlatformStatusRow, "emails">; emails: PlatformStatusRow["emails"] }>(
    sql`SELECT app.platform_status() AS status, app.platform_email_status() AS emails`,
  );
  const row = result.rows[0]!;
  return { ...row.status, emails: row.emails };
}

/** The events queue's dead-letter queue in each environment (wrangler.toml: `<queue>-dlq`). */
export function deadLetterQueueOf(environment: string): string {
  return environment === "staging" || environment === "production"
    ? `securebase-events-${environment}-dlq`
    : "securebase-events-dlq";
}

const timestamp = z.string().datetime({ offset: true });

const jobSchema = z
  .object({
    job: z.string().openapi({ example: "hourly-sweep" }),
    cron: z.string().nullable().openapi({ example: "0 * * * *" }),
    last_status: z.enum(["running", "succeeded", "failed", "never_ran"]).openapi({ example: "succeeded" }),
    last_started_at: timestamp.nullable().openapi({ example: "2026-11-23T13:00:00.120Z" }),
    last_finished_at: timestamp.nullable().openapi({ example: "2026-11-23T13:00:01.480Z" }),
    seconds_since_last_start: z.number().int().nullable().openapi({ example: 1460 }),
  })
  .openapi("PlatformJobStatus");

const statusSchema = z
  .object({
    object: z.literal("platform_status"),
    environment: z.string().openapi({ example: "production" }),
    checked_at: timestamp.openapi({ example: "2026-11-23T13:24:20.000Z" }),
    jobs: z
      .array(jobSchema)
      .openapi({ description: "Every scheduled job, with its last recorded run (never_ran: no row in job_runs yet)" }),
    outbox: z
      .object({
        unpublished: z.number().int().openapi({ example: 3 }),
        oldest_unpublished_at: timestamp.nullable().openapi({ example: "2026-11-23T13:24:11.000Z" }),
        oldest_unpublished_age_seconds: z.number().int().nullable().openapi({ example: 9 }),
      })
      .openapi({ description: "Events committed but not yet published to the queue" }),
    webhooks: z.object({ dead_deliveries: z.number().int().openapi({ example: 0 }) }),
    emails: z
      .object({
        pending: z.number().int().openapi({ example: 0 }),
        failed_last_24h: z.number().int().openapi({ example: 0 }),
        suppressed_last_24h: z.number().int().openapi({ example: 1 }),
        suppressed_addresses: z.number().int().openapi({ example: 4 }),
      })
      .openapi({ description: "Email across all customers; suppressed: docs/email-suppressions.md" }),
    queues: z.object({
      events: z.object({
        dead_letter_queue: z.string().openapi({ example: "securebase-events-production-dlq" }),
        redelivered_last_24h: z
          .number()
          .int()
          .openapi({ description: "Messages that needed more than one attempt", example: 0 }),
        hint: z.string(),
      }),
    }),
  })
  .openapi("PlatformStatus", {
    example: {
      object: "platform_status",
      environment: "production",
      checked_at: "2026-11-23T13:24:20.000Z",
      jobs: [
        {
          job: "hourly-sweep",
          cron: "0 * * * *",
          last_status: "succeeded",
          last_started_at: "2026-11-23T13:00:00.120Z",
          last_finished_at: "2026-11-23T13:00:01.480Z",
          seconds_since_last_start: 1460,
        },
      ],
      outbox: { unpublished: 3, oldest_unpublished_at: "2026-11-23T13:24:11.000Z", oldest_unpublished_age_seconds: 9 },
      webhooks: { dead_deliveries: 0 },
      emails: { pending: 0, failed_last_24h: 0, suppressed_last_24h: 1, suppressed_addresses: 4 },
      queues: {
        events: {
          dead_letter_queue: "securebase-events-production-dlq",
          redelivered_last_24h: 0,
          hint: "Workers cannot read queue depth: `wrangler queues info securebase-events-production-dlq` shows the dead letters.",
        },
      },
    },
  });

const statusRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/status",
  operationId: "getPlatformStatus",
  tags: ["admin"],
  summary: "Platform status: cron heartbeats, outbox backlog, dead webhooks, queue dead letters",
  description:
    "What an operator checks first (SecureBase staff only). The last run of every scheduled job, the number of outbox " +
    "events not yet published and the age of the oldest, dead webhook deliveries across all customers, and the events " +
    "queue's dead-letter queue with the command that shows its depth. Counts only: no customer data.",
  responses: {
    200: { description: "The platform's status", content: { "application/json": { schema: statusSchema } } },
    ...problemResponses(401, 403, 429),
  },
});

const secondsBetween = (from: string | null, to: Date) =>
  from === null ? null : Math.max(0, Math.floor((to.getTime() - Date.parse(from)) / 1000));
const iso = (value: string | null) => (value === null ? null : new Date(value).toISOString());

export const statusRoutes = new OpenAPIHono<AppEnv>().openapi(statusRoute, async (c) => {
  const status = await readAs(c, platformStatus);
  const checkedAt = new Date(status.checked_at);
  // Every job the Worker schedules appears, so a job that never recorded a run is visible too.
  const scheduled = Object.entries(schedule).map(([cron, { job }]) => ({ job, cron }));
  const names = [...new Set([...scheduled.map((s) => s.job), ...status.jobs.map((j) => j.job)])].sort();
  const jobs = names.map((job) => {
    const last = status.jobs.find((j) => j.job === job);
    return {
      job,
      cron: last?.cron ?? scheduled.find((s) => s.job === job)?.cron ?? null,
      last_status: last?.status ?? ("never_ran" as const),
      last_started_at: iso(last?.started_at ?? null),
      last_finished_at: iso(last?.finished_at ?? null),
      seconds_since_last_start: secondsBetween(last?.started_at ?? null, checkedAt),
    };
  });
  const dlq = deadLetterQueueOf(c.env.ENVIRONMENT);
  return c.json(
    {
      object: "platform_status" as const,
      environment: c.env.ENVIRONMENT,
      checked_at: checkedAt.toISOString(),
      jobs,
      outbox: {
        unpublished: Number(status.outbox.unpublished),
        oldest_unpublished_at: iso(status.outbox.oldest_unpublished_at),
        oldest_unpublished_age_seconds: secondsBetween(status.outbox.oldest_unpublished_at, checkedAt),
      },
      webhooks: { dead_deliveries: Number(status.dead_webhook_deliveries) },
      emails: {
        pending: Number(status.emails.pending),
        failed_last_24h: Number(status.emails.failed_24h),
        suppressed_last_24h: Number(status.emails.suppressed_24h),
        suppressed_addresses: Number(status.emails.suppressed_addresses),
      },
      queues: {
        events: {
          dead_letter_queue: dlq,
          redelivered_last_24h: Number(status.queue_redeliveries_24h),
          hint: `Workers cannot read queue depth: \`wrangler queues info ${dlq}\` shows the dead letters (messages land there after the consumer's max_retries).`,
        },
      },
    },
    200,
  );
});
