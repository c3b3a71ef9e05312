// Prints one plain closing line, "tests: N passed, N failed[, N skipped]", after vitest's own
// summary, so CI (and anyone scanning a log) reads the outcome the same way for every runner.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
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
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : "";
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed${skipped}\n`);
  }
}
