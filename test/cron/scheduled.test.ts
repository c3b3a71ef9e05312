import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { asOwner } from "../helpers/database.ts";

async function runs(job: string): Promise<{ status: string; detail: Record<string, number>; finished: boolean }[]> {
  return asOwner(async (client) => {
    const { rows } = await client.query(
      "SELECT status, detail, finished_at IS NOT NULL AS finished FROM job_runs WHERE job = $1 ORDER BY started_at",
      [job],
    );
    return rows as { status: string; detail: Record<string, number>; finished: boolean }[];
  });
}

describe("scheduled handler", () => {
  it("runs the hourly sweep for its cron, records the run, and purges platform rows past retention", async () => {
    await asOwner((client) =>
      client.query(
        `INSERT INTO queue_receipts (message_id, queue, event_type, body, attempts, received_at) VALUES
           ('old-receipt', 'securebase-events', 'test.old', '{}', 1, now() - interval '31 days'),
           ('new-receipt', 'securebase-events', 'test.new', '{}', 1, now() - interval '29 days')`,
      ),
    );
    const before = (await runs("hourly-sweep")).length;
    await worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: Date.now() }), env);
    const after = await runs("hourly-sweep");
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({ status: "succeeded", finished: true, detail: { purged_queue_receipts: 1 } });
    const { rows } = await asOwner((client) =>
      client.query("SELECT message_id FROM queue_receipts WHERE message_id IN ('old-receipt', 'new-receipt')"),
    );
    expect(rows).toEqual([{ message_id: "new-receipt" }]);
  });

  it("records a failed run and rethrows when the job fails", async () => {
    const broken = {
      ...env,
      JOBS_DATABASE_URL: env.JOBS_DATABASE_URL.replace(/\/[^/?]+(\?|$)/, "/no_such_database$1"),
    };
    await expect(worker.scheduled(createScheduledController({ cron: "0 * * * *" }), broken)).rejects.toThrow();
  });

  it("fails, naming the expression and the known ones, and runs nothing for a cron expression it does not know", async () => {
    const { rows: before } = await asOwner((client) => client.query("SELECT count(*)::int AS n FROM job_runs"));
    const run = worker.scheduled(createScheduledController({ cron: "5 4 * * 0" }), env);
    await expect(run).rejects.toThrow("no job is scheduled for cron '5 4 * * 0'; known: '0 * * * *', ");
    const { rows: after } = await asOwner((client) => client.query("SELECT count(*)::int AS n FROM job_runs"));
    expect(after).toEqual(before);
  });
});
