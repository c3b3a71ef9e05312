// The layer rules of docs/architecture.md (.dependency-cruiser.cjs, run by `npm run lint` in CI)
// hold on the code, and each rule bites: a small tree that breaks it on purpose fails the check
// with that rule's name.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./wrangler.ts";

const run = promisify(execFile);
const depcruise = join(repoRoot, "node_modules", ".bin", "depcruise");

async function cruise(cwd: string, paths: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(
      depcruise,
      [...paths, "--config", join(cwd, ".dependency-cruiser.cjs"), "--output-type", "err"],
      { cwd },
    );
    return { ok: true, output: stdout };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "securebase-layers-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A tree of the given files (path -> source) with the project's rules and compiler options. */
async function tree(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(scratch, name);
  for (const [path, source] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), source);
  }
  await cp(join(repoRoot, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        allowImportingTsExtensions: true,
        moduleResolution: "bundler",
        module: "ESNext",
        noEmit: true,
      },
    }),
  );
  return dir;
}

describe("layers", () => {
  it("the repository keeps every rule", async () => {
    const result = await cruise(repoRoot, [
      "worker",
      "cron",
      "queues",
      "db",
      "dev",
      "scripts",
      "services",
      "test",
      "client",
    ]);
    expect(result.output).toContain("no dependency violations found");
    expect(result.ok).toBe(true);
  }, 120_000);

  const broken: [rule: string, files: Record<string, string>][] = [
    [
      "no-cycles",
      {
        "worker/a/x.ts": 'import type { Y } from "./y.ts";\nexport type X = Y;\n',
        "worker/a/y.ts": 'import type { X } from "./x.ts";\nexport type Y = X | 1;\n',
      },
    ],
    [
      "db-is-the-bottom",
      {
        "db/schema/t.ts": 'import { f } from "../../worker/platform/f.ts";\nexport const t = f;\n',
        "worker/platform/f.ts": "export const f = 1;\n",
      },
    ],
    [
      "platform-imports-no-domain-and-no-http",
      {
        "worker/platform/p.ts": 'import { h } from "../http/h.ts";\nexport const p = h;\n',
        "worker/http/h.ts": "export const h = 1;\n",
      },
    ],
    [
      "events-core-imports-no-domain",
      {
        "worker/events/e.ts": 'import { s } from "../support/s.ts";\nexport const e = s;\n',
        "worker/support/s.ts": "export const s = 1;\n",
      },
    ],
    [
      "http-imports-no-domain",
      {
        "worker/http/h.ts": 'import { i } from "../invoices/i.ts";\nexport const h = i;\n',
        "worker/invoices/i.ts": "export const i = 1;\n",
      },
    ],
    [
      "domains-import-no-entry-points",
      {
        "worker/cost/c.ts": 'import { j } from "../../cron/index.ts";\nexport const c = j;\n',
        "cron/index.ts": "export const j = 1;\n",
      },
    ],
    [
      "schedule-is-data",
      {
        "cron/schedule.ts": 'import { b } from "../worker/billing/b.ts";\nexport const s = b;\n',
        "worker/billing/b.ts": "export const b = 1;\n",
      },
    ],
    [
      "edge-front-imports-no-data-path",
      {
        "worker/edge/f.ts": 'import { d } from "../platform/database.ts";\nexport const f = d;\n',
        "worker/platform/database.ts": "export const d = 1;\n",
      },
    ],
    [
      "data-path-imports-no-edge-front",
      {
        "worker/invoices/i.ts": 'import { e } from "../edge/e.ts";\nexport const i = e;\n',
        "worker/edge/e.ts": "export const e = 1;\n",
      },
    ],
    [
      "production-imports-no-local-tooling",
      {
        "worker/usage/u.ts": 'import { d } from "../../dev/d.ts";\nexport const u = d;\n',
        "dev/d.ts": "export const d = 1;\n",
      },
    ],
    [
      "entry-points-are-thin",
      {
        "queues/q.ts": 'import { t } from "../db/schema.ts";\nexport const q = t;\n',
        "db/schema.ts": "export const t = 1;\n",
      },
    ],
  ];
  it.each(broken)(
    "a change that breaks %s fails the check",
    async (rule, files) => {
      const dir = await tree(rule, files);
      const result = await cruise(dir, [...new Set(Object.keys(files).map((f) => f.split("/")[0]!))]);
      expect(result.ok).toBe(false);
      expect(result.output).toContain(rule);
    },
    60_000,
  );
});
