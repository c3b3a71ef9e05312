// Each page of this part of the portal: axe finds nothing serious or critical, and its first load
// (empty cache) is measured: the JS it loads, gzip-compressed, and its Largest Contentful Paint.
// The numbers go to test/browser/perf.json for BENCHMARKS.md; the sign-in and overview first
// loads must stay within 200 KiB of gzip JS (a size budget, not a timing).
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, expect, test } from "@playwright/test";
import { freshTotpCode, login, totpSecret, url } from "./support.ts";

const PAGES = [
  { path: "/sign-in", signedIn: false, ready: "Sign in to SecureBase" },
  { path: "/reset-password", signedIn: false, ready: "Reset your password" },
  { path: "/accept-invite?token=example", signedIn: false, ready: "Join SecureBase" },
  { path: "/enrol-mfa", signedIn: false, ready: "Set up two-factor sign-in" },
  { path: "/overview", signedIn: true, ready: "Cost forecast" },
  { path: "/api-keys", signedIn: true, ready: "API keys" },
  { path: "/team", signedIn: true, ready: "Active sessions" },
  { path: "/security", signedIn: true, ready: "Organization policy" },
  { path: "/webhooks", signedIn: true, ready: "Add endpoint" },
  { path: "/accounts", signedIn: true, ready: "Your accounts" },
  { path: "/audit", signedIn: true, ready: "Integrity and export" },
  { path: "/activity", signedIn: true, ready: "Activity" },
  { path: "/usage", signedIn: true, ready: "Daily usage" },
  { path: "/notifications", signedIn: true, ready: "Preferences" },
  // pstaff: staff console pages, in the demo super_admin's session (staffState).
  { path: "/staff/customers", signedIn: true, staff: true, ready: "Onboard a customer" },
  { path: "/staff/billing-runs", signedIn: true, staff: true, ready: "Start a run" },
  { path: "/staff/status", signedIn: true, staff: true, ready: "Cron jobs" },
];
const BUDGET_BYTES = 200 * 1024;
const EMAIL = "admin@globex.example";

/** A signed-in browser state (the session cookie), made once through the API's cookie sign-in. */
async function signedInState(browser: Browser) {
  const context = await browser.newContext();
  const answer = await context.request.post(url("/v1/auth/login?session=cookie"), {
    data: { email: EMAIL, password: login(EMAIL).password },
    headers: { origin: url("") },
  });
  expect(answer.status()).toBe(200);
  const state = await context.storageState();
  await context.close();
  return state;
}

const STAFF_EMAIL = "staff@securebase.example";

/** The demo super_admin's cookie session: password, then the TOTP step (staff must use a second factor). */
async function staffState(browser: Browser) {
  const context = await browser.newContext();
  const headers = { origin: url("") };
  const first = await context.request.post(url("/v1/auth/login?session=cookie"), {
    data: { email: STAFF_EMAIL, password: login(STAFF_EMAIL).password },
    headers,
  });
  expect(first.status()).toBe(200);
  const { mfa_token } = (await first.json()) as { mfa_token: string };
  const second = await context.request.post(url("/v1/auth/login/mfa?session=cookie"), {
    data: { mfa_token, code: await freshTotpCode(totpSecret(STAFF_EMAIL) ?? "") },
    headers,
  });
  expect(second.status()).toBe(200);
  const state = await context.storageState();
  await context.close();
  return state;
}

// Reads LCP from the page (PerformanceObserver, buffered) and the JS resources it loaded.
const MEASURE = `new Promise((resolve) => {
  let lcp = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) lcp = Math.max(lcp, entry.startTime);
  }).observe({ type: "largest-contentful-paint", buffered: true });
  setTimeout(() => resolve({
    lcp,
    scripts: performance.getEntriesByType("resource")
      .filter((r) => r.initiatorType === "script" || r.name.endsWith(".js"))
      .map((r) => r.name),
  }), 500);
})`;

test("quality: every page passes axe and its first load stays measured and within budget", async ({ browser }) => {
  // Per page, so each page appended to PAGES brings its time (axe on a loaded 2-core machine takes ~20 s).
  test.setTimeout(45_000 * PAGES.length);
  const state = await signedInState(browser);
  const staff = await staffState(browser);
  const results: Record<string, { js_gzip_bytes: number; js_files: number; lcp_ms: number }> = {};
  for (const page of PAGES) {
    const context = await browser.newContext(
      page.signedIn ? { storageState: "staff" in page && page.staff ? staff : state } : {},
    );
    const tab = await context.newPage();
    const scripts = new Set<string>();
    tab.on("response", (response) => {
      if (response.url().endsWith(".js") || response.request().resourceType() === "script") scripts.add(response.url());
    });
    await tab.goto(url(page.path));
    await expect(tab.getByText(page.ready, { exact: false }).first()).toBeVisible();
    await tab.waitForLoadState("networkidle");
    const measured = (await tab.evaluate(MEASURE)) as { lcp: number; scripts: string[] };
    for (const script of measured.scripts) scripts.add(script);
    let gzipBytes = 0;
    for (const script of scripts) {
      const body = await (await context.request.get(script)).body();
      gzipBytes += gzipSync(body, { level: 9 }).length;
    }
    results[page.path.split("?")[0] ?? page.path] = {
      js_gzip_bytes: gzipBytes,
      js_files: scripts.size,
      lcp_ms: Math.round(measured.lcp),
    };

    const axe = await new AxeBuilder({ page: tab }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]).analyze();
    const serious = axe.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
    expect(serious, `axe on ${page.path}`).toEqual([]);
    await context.close();
  }
  writeFileSync(
    new URL("./perf.json", import.meta.url),
    `${JSON.stringify({ measured_at: new Date().toISOString(), chromium: browser.version(), pages: results }, null, 2)}\n`,
  );
  for (const path of ["/sign-in", "/overview"])
    expect(results[path]?.js_gzip_bytes, `${path} first-load JS (gzip)`).toBeLessThanOrEqual(BUDGET_BYTES);
});
