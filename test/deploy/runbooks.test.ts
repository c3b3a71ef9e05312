// docs/runbooks.md must name real things: one section per alert id (the alert rules link to
// #alert-<id>), and every npm script, API route, table and queue its commands use must exist. A
// renamed route or table fails here, not in the middle of an incident.
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startDevDatabase } from "../../dev/dev-database.ts";
import { createApp, documentConfig } from "../../worker/app.ts";
import { freePort } from "../helpers/free-port.ts";
import { repoRoot, wranglerConfig } from "./wrangler.ts";

const runbooks = readFileSync(join(repoRoot, "docs/runbooks.md"), "utf8");
const code =
  [...runbooks.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).join("\n") +
  "\n" +
  [...runbooks.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!).join("\n");
const unique = (values: string[]) => [...new Set(values)];

// The alert rules as the alert job knows them (worker/operations/rules.ts), read from its source so
// a rule added there without a runbook section fails here.
const rulesSource = readFileSync(join(repoRoot, "worker/operations/rules.ts"), "utf8");
const alertIds = [
  ...(rulesSource.match(/export const ALERT_RULES = \[([^\]]*)\]/)?.[1] ?? "").matchAll(/"([a-z0-9_]+)"/g),
].map((m) => m[1]!);

/** Each `## Alert: <id>` section's text. */
function sections(): Map<string, string> {
  const parts = runbooks.split(/^## /m).slice(1);
  return new Map(parts.map((part) => [part.slice(0, part.indexOf("\n")), part]));
}

const migrations = readdirSync(join(repoRoot, "db/migrations"))
  .filter((f) => f.endsWith(".sql"))
  .map((f) => readFileSync(join(repoRoot, "db/migrations", f), "utf8"))
  .join("\n");
const tables = new Set([...migrations.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_.]+)/g)].map((m) => m[1]!));

describe("docs/runbooks.md", () => {
  it("has exactly one section per alert rule of the alert job, each with three numbered commands and a resolution", () => {
    expect(alertIds).toContain("cron_job_failed");
    expect(alertIds.length).toBeGreaterThanOrEqual(8);
    // The alert messages link to these sections by this anchor.
    expect(rulesSource).toContain("docs/runbooks.md#alert-${rule}");
    const found = [...sections().keys()].filter((h) => h.startsWith("Alert: ")).map((h) => h.slice(7));
    expect(found.sort()).toEqual([...alertIds].sort());
    for (const id of alertIds) {
      const text = sections().get(`Alert: ${id}`)!;
      expect(text, id).toContain("**Means**");
      expect(text, id).toContain("**Resolve**");
      for (const n of [1, 2, 3]) expect(text, `${id} step ${n}`).toMatch(new RegExp(`^${n}\\. \``, "m"));
    }
    expect(sections().has("Dead-letter redrive")).toBe(true);
  });

  it("runs only npm scripts that exist", () => {
    const scripts = Object.keys(
      JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts as Record<string, string>,
    );
    const used = unique([...runbooks.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
    expect(used).toContain("drill:restore");
    expect(used.filter((s) => !scripts.includes(s))).toEqual([]);
  });

  it("calls only routes of the OpenAPI document, with their methods", async () => {
    const document = (await createApp()).getOpenAPI31Document(documentConfig);
    const paths = document.paths ?? {};
    const templates = Object.keys(paths).map((p) => ({
      path: p,
      pattern: new RegExp(`^${p.replace(/\{[^}]+\}/g, "(?:\\{[^}]+\\}|<[^>]+>)")}$`),
    }));
    const calls = [
      ...[...code.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/v1\/[^\s`"]+)/g)].map((m) => [m[1]!, m[2]!]),
      ...[...code.matchAll(/curl -s(?: -X (POST))? "?\$BASE(\/v1\/[^\s"?]+)/g)].map((m) => [m[1] ?? "GET", m[2]!]),
    ];
    expect(calls.length).toBeGreaterThan(8);
    for (const [method, path] of calls) {
      const match = templates.find((t) => t.pattern.test(path!));
      expect(match, `${method} ${path}`).toBeDefined();
      const item = paths[match!.path] as Record<string, unknown>;
      expect(item[method!.toLowerCase()], `${method} ${path}`).toBeDefined();
    }
  });

  it("queries only tables the migrations create, and SQL that names them", () => {
    const sqlText = [...code.matchAll(/-c "([^"]+)"/g)].map((m) => m[1]!);
    expect(sqlText.length).toBeGreaterThanOrEqual(8);
    const used = unique(
      sqlText.flatMap((q) => [...q.matchAll(/\b(?:FROM|JOIN|UPDATE|INTO)\s+([a-z_.]+)/g)].map((m) => m[1]!)),
    );
    expect(used).toEqual(expect.arrayContaining(["job_runs", "outbox_events", "billing_runs"]));
    expect(used.filter((t) => !tables.has(t))).toEqual([]);
  });

  it("runs SQL that the jobs role may run, on a migrated database (runbooks and the restore steps)", async () => {
    const deploy = readFileSync(join(repoRoot, "docs/deploy.md"), "utf8");
    const queries = [...`${runbooks}\n${deploy}`.matchAll(/psql "\$JOBS_URL" -c "([^"]+)"/g)].map((m) =>
      m[1]!.replace("<id>", "00000000-0000-0000-0000-000000000000"),
    );
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const root = await mkdtemp("/tmp/securebase-runbooks-");
    const db = await startDevDatabase({
      dataRoot: join(root, ".data"),
      pgPort: await freePort(),
      proxyPort: await freePort(),
    });
    try {
      const client = new pg.Client({ connectionString: db.stack.jobsUrl });
      await client.connect();
      try {
        const failures: string[] = [];
        for (const query of queries)
          await client.query(query).catch((e: Error) => failures.push(`${query}: ${e.message}`));
        expect(failures).toEqual([]);
      } finally {
        await client.end();
      }
    } finally {
      await db.stack.stop();
      if (db.dataDir) await rm(db.dataDir, { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);

  it("names the events queue and its dead-letter queue as wrangler.toml declares them", () => {
    const config = wranglerConfig();
    for (const env of ["staging", "production"]) {
      const consumer = config.env[env]!.queues!.consumers![0]!;
      const named = (q: string) => q.replace("$WENV", env);
      const queues = unique([...code.matchAll(/wrangler queues [a-z -]+?(securebase-[\w$-]+)/g)].map((m) => m[1]!));
      expect(queues.length).toBeGreaterThan(0);
      expect(queues.map(named).filter((q) => q !== consumer.queue && q !== consumer.dead_letter_queue)).toEqual([]);
      expect(queues.map(named)).toContain(consumer.dead_letter_queue);
      expect(runbooks).toContain(`${consumer.max_retries} failed attempts`);
    }
  });
});
