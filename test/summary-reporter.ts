// Prints one plain closing line, "tests: N passed, N failed[, N skipped]", after vitest's own
// summary, so CI (and anyone scanning a log) reads the outcome the same way for every runner;
// then the same counts per project (workers, node), so a skipped Terraform check is visible.
import type { Reporter, TestModule } from "vitest/node";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const line = (counts: Counts) =>
  `${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ""}`;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const total: Counts = { passed: 0, failed: 0, skipped: 0 };
    const byProject = new Map<string, Counts>();
    for (const testModule of testModules) {
      // "workers-isolated" and "workers-alone" (vitest.config.ts) count as "workers".
      const project = testModule.project.name.match(/^[a-z]+/)?.[0] ?? "default";
      const counts = byProject.get(project) ?? { passed: 0, failed: 0, skipped: 0 };
      byProject.set(project, counts);
      let failedInModule = 0;
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") counts.passed++;
        else if (state === "failed") failedInModule++;
        else counts.skipped++;
      }
      // A file that failed outside any test (import, beforeAll) counts as one failure.
      if (testModule.state() === "failed" && failedInModule === 0) failedInModule = 1;
      counts.failed += failedInModule;
    }
    for (const counts of byProject.values()) {
      total.passed += counts.passed;
      total.failed += counts.failed;
      total.skipped += counts.skipped;
    }
    const projects = [...byProject].map(([name, counts]) => `${name}: ${line(counts)}`).join("; ");
    process.stdout.write(`\ntests: ${line(total)}\n${byProject.size > 1 ? `  (${projects})\n` : ""}`);
  }
}
