// Cold start of the Worker (`npm run bench` prints this section; `node dev/bench/startup.ts`
// runs it alone):
// - bundle size as wrangler uploads it (`wrangler deploy --dry-run`: raw and gzip KiB, the same
//   figures wrangler prints), and the largest packages in it (esbuild metafile);
// - startup CPU: `wrangler check startup` profiles the Worker's module evaluation in a local
//   workerd. Times are noisy on a shared machine, so it runs several times and reports min and
//   median of the "Active" CPU (sampled time minus idle).
// Size is deterministic and guarded by test/deploy/bundle-size.test.ts against BUNDLE_BUDGET_KIB;
// time is not, so it is only measured here.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

// The budget for the Worker's upload (raw KiB, as `wrangler deploy --dry-run` prints it), checked
// by test/deploy/bundle-size.test.ts: issue 14's goal, 800 KiB. It was raised to 880 KiB for a day
// when the cost insights brought in `jstat` (55 KiB minified, a UMD build esbuild cannot
// tree-shake, for the single Student-t quantile the forecast uses); that quantile is now
// worker/cost/student-t.ts and the bundle is 767.2 KiB (2026-11-23, main 511833c + that), ~33 KiB
// of headroom. What it catches: a dependency or an import that drags in a library's unused parts
// (zod's 64 locales were 364 KiB before minification; an unminified build is ~1.4 MiB).
// Crossing it: find what came in (`node dev/bench/startup.ts` lists the largest packages) or
// raise it knowingly in the same commit, saying why.
// Raised to 1,180 KiB for passkeys: @simplewebauthn/server brings ~370 KiB (its X.509/ASN.1
// attestation stack, unused with attestation "none", cannot be tree-shaken); 1,161 KiB measured
// on 2026-12-04. BENCHMARKS.md, "Passkeys and the bundle", has the numbers and the way back.
// Then +17 KiB (2026-12-04) for invoice documents and tax (issue 25): main d451cc4 was 788.76 KiB;
// they add 16.9 KiB — the hand-written PDF writer 5.1 KiB and the invoice's PDF layout 1.5 KiB
// (worker/invoices/pdf.ts, pdf-invoice.ts: pdf-lib alone would be 523 KB), billing details and
// tax status routes and schemas ~7 KiB, seller configuration and document content ~3 KiB.
// Then +28 KiB with invoice settlement
// (issue 25: payments, credit notes, the provider webhook, staff reads): 28.5 KiB of our own code,
// no dependency (788.8 KiB before, 816.7 KiB after, d451cc4 + branch money); the lazy domains
// keep it off the startup path of requests that do not reach them.
// Then 1,267 KiB measured after the MFA merge (TOTP, security policy, sign-in step: our own code,
// otpauth ~8 KiB): budget 1,280 KiB.
// Then +7 KiB with alerts (issue 26: rules, incidents, the ops webhook, the request counter's
// Durable Object; our own code): 1,287 KiB, budget 1,296 KiB.
// Then 1,331 KiB (2026-12-04) after dunning, proration, the audit archive (export/verify streams,
// legal hold), data export, closure and residency (issues 25 and 26): +44 KiB of our own code, no
// dependency, all in lazily loaded domains; the portal (issue 24) adds nothing, it is static
// assets. Budget 1,344 KiB.
// Then +13.6 KiB (2026-12-04, issue 26) for SES bounces and complaints over SNS: main fe03ab7 was
// 1,337.2 KiB, the branch 1,350.8 KiB. Our own code in the lazily loaded email domains (11.8 KiB:
// signature check, envelope and SES event read by hand, not zod), the status and sender changes
// 1.8 KiB. Merged with main 850a4de (dunning suspension, alert acknowledgement, residency lookups):
// 1,360.4 KiB. Then the certificate read with @peculiar/asn1-x509 instead of a hand-written DER
// walk (a reviewed library for parsing hostile input is worth its ~3.5 KiB): 1,363.9 KiB.
// Then +4.9 KiB for exports as resumable queue slices (issue 26: the slice runner and the resumable
// R2 multipart writer, our own code in the lazily loaded customer domain): 1,368.8 KiB.
// Budget 1,376 KiB.
export const BUNDLE_BUDGET_KIB = 1376;

const run = promisify(execFile);

async function wrangler(args: string[]): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  return stdout + stderr;
}

export interface BundleSize {
  rawKiB: number;
  gzipKiB: number;
  /** KiB in the output per npm package (or per top-level source folder), largest first. */
  byPackage: [string, number][];
  /** The built Worker's main module. */
  code: string;
  /**
   * Source files evaluated at startup: reachable from worker/index.ts by static imports (what
   * `import()` reaches is evaluated on first use), excluding type-only and runtime modules.
   */
  staticallyImported: string[];
}

/** Builds the Worker exactly as `wrangler deploy` would (dry run) and reads its size. */
export async function measureBundle(): Promise<BundleSize> {
  const dir = await mkdtemp(join(tmpdir(), "securebase-bundle-"));
  try {
    const metafile = join(dir, "meta.json");
    const output = await wrangler(["deploy", "--dry-run", "--outdir", join(dir, "out"), "--metafile", metafile]);
    const total = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
    if (!total) throw new Error(`no "Total Upload" line in wrangler's output:\n${output}`);
    type Meta = {
      inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
      outputs: Record<string, { entryPoint?: string; inputs: Record<string, { bytesInOutput: number }> }>;
    };
    const meta = JSON.parse(await readFile(metafile, "utf8")) as Meta;
    const byPackage = new Map<string, number>();
    for (const out of Object.values(meta.outputs)) {
      for (const [file, { bytesInOutput }] of Object.entries(out.inputs)) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split("/").slice(0, 2).join("/");
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput / 1024);
      }
    }
    const entry = Object.keys(meta.inputs).find((file) => file.endsWith("worker/index.ts"))!;
    const eager = new Set([entry]);
    for (const file of eager) {
      for (const imported of meta.inputs[file]?.imports ?? []) {
        if (imported.kind === "import-statement" && !imported.external) eager.add(imported.path);
      }
    }
    return {
      staticallyImported: [...eager].sort(),
      rawKiB: Number(total[1]),
      gzipKiB: Number(total[2]),
      byPackage: [...byPackage].sort((a, b) => b[1] - a[1]),
      code: await readFile(join(dir, "out", "index.js"), "utf8"), // wrangler names the main module index.js
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What `wrangler check startup` profiles, per variant:
 * - "startup": the Worker as deployed (nothing is built at startup);
 * - "first request": dev/bench/startup-probe.ts built for one domain — the platform and that
 *   domain's routes built at startup, i.e. what an isolate's first HTTP request adds;
 * - "all domains": the same probe building the whole application, as the Worker did at startup
 *   before routes were built on first use.
 */
export const STARTUP_VARIANTS = [
  { label: "startup (as deployed)", probe: undefined },
  { label: "startup + first request's building (GET /v1/invoices: platform + invoices routes)", probe: "invoices" },
  { label: "startup + every domain built (what startup did before, plus the document's registry)", probe: "all" },
] as const;

async function probeBundle(dir: string, domain: string): Promise<string> {
  const bundle = join(dir, `probe-${domain}.bundle`);
  await wrangler([
    "deploy",
    "dev/bench/startup-probe.ts",
    "--dry-run",
    "--outfile",
    bundle,
    "--define",
    `STARTUP_PROBE_DOMAIN:${JSON.stringify(domain)}`,
  ]);
  return bundle;
}

/** Active startup CPU (ms) of each variant, `runs` times, interleaved (variant by variant per round). */
export async function measureStartup(runs: number): Promise<number[][]> {
  const dir = await mkdtemp(join(tmpdir(), "securebase-startup-"));
  try {
    const bundles = await Promise.all(
      STARTUP_VARIANTS.map((variant) => (variant.probe ? probeBundle(dir, variant.probe) : undefined)),
    );
    const active: number[][] = STARTUP_VARIANTS.map(() => []);
    for (let i = 0; i < runs; i++) {
      for (const [index, bundle] of bundles.entries()) {
        const output = await wrangler([
          "check",
          "startup",
          "--outfile",
          join(dir, `startup-${index}-${i}.cpuprofile`),
          ...(bundle ? ["--worker", bundle] : []),
        ]);
        const match = /Active: ([\d.]+) ms/.exec(output);
        if (!match) throw new Error(`no "Active" line in wrangler check startup's output:\n${output}`);
        active[index]!.push(Number(match[1]));
      }
    }
    return active;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function benchStartup(runs = Number(process.env.BENCH_STARTUP_RUNS ?? 3)): Promise<string> {
  const bundle = await measureBundle();
  const active = await measureStartup(runs);
  const packages = bundle.byPackage
    .slice(0, 8)
    .map(([name, kib]) => `| ${name} | ${kib.toFixed(1)} |`)
    .join("\n");
  return `## Cold start (dev/bench/startup.ts)

| measure | value |
|---|---|
| bundle, raw (\`wrangler deploy --dry-run\`) | ${bundle.rawKiB.toFixed(2)} KiB (budget ${BUNDLE_BUDGET_KIB} KiB) |
| bundle, gzip | ${bundle.gzipKiB.toFixed(2)} KiB |

Active CPU (\`wrangler check startup\`, ${runs} runs of each, interleaved):

| variant | min | median | runs (ms) |
|---|---|---|---|
${STARTUP_VARIANTS.map((variant, i) => `| ${variant.label} | ${Math.min(...active[i]!).toFixed(1)} ms | ${median(active[i]!).toFixed(1)} ms | ${active[i]!.map((a) => a.toFixed(1)).join(", ")} |`).join("\n")}

Largest packages in the bundle (KiB in the minified output):

| package | KiB |
|---|---|
${packages}
`;
}

if (import.meta.main) {
  console.log(await benchStartup());
}
