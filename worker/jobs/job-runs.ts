import { eq } from "drizzle-orm";
import { jobRuns } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { withJobsDatabase } from "../platform/database.ts";

/** Records a job's start, runs it, records how it ended; a failure is recorded, then rethrown. */
export async function runJob(
  env: Env,
  job: string,
  cron: string | null,
  work: () => Promise<Record<string, unknown>>,
): Promise<void> {
  const [run] = await withJobsDatabase(env, (db) =>
    db.insert(jobRuns).values({ job, cron, status: "running", detail: {} }).returning({ id: jobRuns.id }),
  );
  const started = Date.now();
  const finish = async (status: "succeeded" | "failed", detail: Record<string, unknown>) => {
    await withJobsDatabase(env, (db) =>
      db.update(jobRuns).set({ status, detail, finishedAt: new Date() }).where(eq(jobRuns.id, run!.id)),
    );
    // One structured line per run, so `wrangler dev` and Workers Logs show what a cron did.
    console.log(JSON.stringify({ msg: "job finished", job, cron, status, ms: Date.now() - started, detail }));
  };
  try {
    const detail = await work();
    await finish("succeeded", detail);
  } catch (error) {
    await finish("failed", { error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}
