// `npm run screenshots:portal` (docs/portal.md, "Screenshots"): the README's portal screenshots,
// taken from the same throwaway dev stack and chromium as the browser tests, by a file the
// browser tests' runner never matches (screenshots.shot.ts, not *.spec.ts).
import { defineConfig } from "@playwright/test";
import browserTests from "./playwright.config.ts";

export default defineConfig({
  ...browserTests,
  testMatch: "screenshots.shot.ts",
  outputDir: "../../.data/playwright-screenshots",
  use: { ...browserTests.use, viewport: { width: 1280, height: 800 }, trace: "off" },
});
