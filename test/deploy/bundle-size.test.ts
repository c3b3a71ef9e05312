// The Worker's bundle stays within its budget (BUNDLE_BUDGET_KIB in dev/bench/startup.ts,
// explained there): every isolate parses and runs it before its first request, so size is startup
// time. Size is deterministic, so it is checked here; startup time is not, so `npm run bench`
// measures it (docs/operations.md, "Cold start and bundle size").
import { beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_BUDGET_KIB, measureBundle, type BundleSize } from "../../dev/bench/startup.ts";
import { deployedEnvironments, wranglerConfig } from "./wrangler.ts";

let bundle: BundleSize;
beforeAll(async () => {
  bundle = await measureBundle();
});

describe("Worker bundle (wrangler deploy --dry-run)", () => {
  it(`fits the budget of ${BUNDLE_BUDGET_KIB} KiB`, () => {
    const largest = bundle.byPackage
      .slice(0, 6)
      .map(([name, kib]) => `${name} ${kib.toFixed(0)} KiB`)
      .join(", ");
    expect(bundle.rawKiB, `bundle ${bundle.rawKiB} KiB; largest: ${largest}`).toBeLessThanOrEqual(BUNDLE_BUDGET_KIB);
  });

  it("has zod's English messages and none of its other locales (patches/zod+*.patch)", () => {
    expect(bundle.code).toContain("Too small: expected"); // en's message for too_small
    expect(bundle.code).not.toContain("Zu klein"); // de
    expect(bundle.code).not.toContain("Trop petit"); // fr
  });

  it("has neither zod's schema compiler nor fromJSONSchema (patches/zod+*.patch: not re-exported through z)", () => {
    expect(bundle.code).not.toContain("ZodCompileUnsupportedError"); // zod/v4/core/compile.js
    expect(bundle.code).not.toContain("External $ref is not supported"); // zod/v4/classic/from-json-schema.js
  });

  it("builds nothing at startup: the entry's static imports reach no route, library or schema module", () => {
    const eager = bundle.staticallyImported.filter((file) => file !== "worker/index.ts");
    // The Durable Object classes must be exports of the entry; neither imports anything of ours.
    expect(eager.sort()).toEqual(["worker/platform/rate-limit-counter.ts", "worker/platform/request-counter.ts"]);
  });

  it("does not read globalThis.process at startup (patches/@neondatabase+serverless+*.patch)", () => {
    expect(bundle.code).not.toMatch(/globalThis\.process/);
  });

  it("is minified in every deployed environment", () => {
    const config = wranglerConfig() as ReturnType<typeof wranglerConfig> & {
      minify?: boolean;
      env: Record<string, { minify?: boolean }>;
    };
    expect(config.minify).toBe(true);
    for (const name of deployedEnvironments)
      expect(config.env[name]!.minify ?? config.minify, `[env.${name}]`).toBe(true);
  });
});
