// Each page of the portal: axe finds nothing serious or critical, and its first load (empty cache)
// is measured: the JS it loads, gzip-compressed, and its Largest Contentful Paint. The numbers go to
// test/browser/perf.json for BENCHMARKS.md; the sign-in and overview first loads must stay within
// 200 KiB of gzip JS (a size budget, not a timing). Every page also tabs through with a visible
// focus indicator on each focused element, and at 360 px wide has no horizontal page scroll and a
// reachable navigation (docs/portal.md, "Keyboard and narrow screens").
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type BrowserContextOptions, expect, type Page, test } from "@playwright/test";
import { apiCall, bearer, freshTotpCode, login, totpSecret, url } from "./support.ts";

/**
 * One page: `ready` is text the page shows once loaded (a heading); `signedIn` pages open with the
 * demo customer admin's session, or the demo super_admin's with `staff: true`. `:invoice` and
 * `:ticket` in a path are a demo invoice and ticket, picked through the API when the run starts.
 */
interface QualityPage {
  path: string;
  signedIn: boolean;
  ready: string;
  staff?: boolean;
}

const PAGES: QualityPage[] = [
  { path: "/sign-in", signedIn: false, ready: "Sign in to SecureBase" },
  { path: "/reset-password", signedIn: false, ready: "Reset your password" },
  { path: "/accept-invite?token=example", signedIn: false, ready: "Join SecureBase" },
  { path: "/enrol-mfa", signedIn: false, ready: "Set up two-factor sign-in" },
  { path: "/overview", signedIn: true, ready: "Cost forecast" },
  { path: "/api-keys", signedIn: true, ready: "API keys" },
  { path: "/team", signedIn: true, ready: "Active sessions" },
  { path: "/security", signedIn: true, ready: "Organization policy" },
  { path: "/webhooks", signedIn: true, ready: "Add endpoint" },
  { path: "/invoices", signedIn: true, ready: "Invoices" },
  { path: "/invoices/:invoice", signedIn: true, ready: "Line items" },
  { path: "/invoices/:invoice/print", signedIn: true, ready: "SecureBase — Invoice" },
  { path: "/support", signedIn: true, ready: "Your tickets" },
  { path: "/support/tickets/:ticket", signedIn: true, ready: "Conversation" },
  { path: "/staff/queue", signedIn: true, staff: true, ready: "Support queue" },
  { path: "/staff/tickets/:ticket", signedIn: true, staff: true, ready: "Thread" },
  { path: "/accounts", signedIn: true, ready: "Your accounts" },
  { path: "/audit", signedIn: true, ready: "Integrity and export" },
  { path: "/activity", signedIn: true, ready: "Activity" },
  { path: "/usage", signedIn: true, ready: "Daily usage" },
  { path: "/notifications", signedIn: true, ready: "Preferences" },
  // pstaff: staff console pages, in the demo super_admin's session (staff: true).
  { path: "/staff/customers", signedIn: true, staff: true, ready: "Onboard a customer" },
  { path: "/staff/billing-runs", signedIn: true, staff: true, ready: "Start a run" },
  { path: "/staff/status", signedIn: true, staff: true, ready: "Cron jobs" },
];
const BUDGET_BYTES = 200 * 1024;
const CUSTOMER = "admin@globex.example";
const STAFF = "staff@securebase.example";
const NARROW = { width: 360, height: 740 };
/** How many times the keyboard sweep presses Tab on each page. */
const TABS = 30;

type State = Awaited<ReturnType<Awaited<ReturnType<Browser["newContext"]>>["storageState"]>>;
let sessions: Promise<{ customer: State; staff: State }> | undefined;
let ids: Promise<Record<string, string>> | undefined;

/** A signed-in browser state (the session cookie) through the API's cookie sign-in, with TOTP if asked. */
async function cookieState(browser: Browser, email: string): Promise<State> {
  const context = await browser.newContext();
  const headers = { origin: url("") };
  const first = await context.request.post(url("/v1/auth/login?session=cookie"), {
    data: { email, password: login(email).password },
    headers,
  });
  expect(first.status()).toBe(200);
  const { mfa_token } = (await first.json()) as { mfa_token?: string };
  const secret = totpSecret(email);
  if (mfa_token && secret) {
    const second = await context.request.post(url("/v1/auth/login/mfa?session=cookie"), {
      data: { mfa_token, code: await freshTotpCode(secret) },
      headers,
    });
    expect(second.status()).toBe(200);
  }
  const state = await context.storageState();
  await context.close();
  return state;
}

/** The customer's and the staff member's sessions, made once for the whole file. */
function signedInStates(browser: Browser) {
  sessions ??= (async () => ({
    customer: await cookieState(browser, CUSTOMER),
    staff: await cookieState(browser, STAFF),
  }))();
  return sessions;
}

/** The demo invoice and ticket the `:invoice` and `:ticket` paths open (a ticket is opened if none). */
function demoIds() {
  ids ??= (async () => {
    const token = await bearer(CUSTOMER);
    const invoices = await apiCall<{ data: { id: string }[] }>(token, "GET", "/v1/invoices?limit=1");
    let tickets = await apiCall<{ data: { id: string }[] }>(token, "GET", "/v1/support/tickets?limit=1");
    if (!tickets.data[0])
      tickets = {
        data: [
          await apiCall<{ id: string }>(token, "POST", "/v1/support/tickets", {
            subject: "Quality check ticket",
            description: "Opened by the browser quality checks.",
            priority: "low",
          }),
        ],
      };
    const invoice = invoices.data[0]?.id;
    const ticket = tickets.data[0]?.id;
    if (!invoice || !ticket) throw new Error("quality: the demo data has no invoice");
    return { invoice, ticket };
  })();
  return ids;
}

/** Opens a page in a new context (its session, optional viewport) and waits for its ready text. */
async function open(browser: Browser, page: QualityPage, options: BrowserContextOptions = {}) {
  const states = await signedInStates(browser);
  const known = await demoIds();
  const context = await browser.newContext({
    ...options,
    ...(page.signedIn ? { storageState: page.staff ? states.staff : states.customer } : {}),
  });
  const tab = await context.newPage();
  const path = page.path.replace(/:(\w+)/g, (_, name: string) => known[name] ?? name);
  return {
    context,
    tab,
    goto: async () => {
      await tab.goto(url(path));
      await expect(tab.getByRole("main").getByText(page.ready, { exact: false }).first()).toBeVisible({
        timeout: 30_000,
      });
    },
  };
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
  // Per page, so each page appended to PAGES brings its time (a loaded 2-core machine is slow).
  test.setTimeout(45_000 * PAGES.length);
  const results: Record<string, { js_gzip_bytes: number; js_files: number; lcp_ms: number }> = {};
  for (const page of PAGES) {
    const { context, tab, goto } = await open(browser, page);
    const scripts = new Set<string>();
    tab.on("response", (response) => {
      if (response.url().endsWith(".js") || response.request().resourceType() === "script") scripts.add(response.url());
    });
    await goto();
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

// The focused element, as the keyboard sweep judges it: shown on screen, with an outline or a
// box-shadow drawn for focus. null once focus left the page's elements (the end of the tab order).
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const name = (el.getAttribute("aria-label") || el.textContent || el.getAttribute("name") || el.id || "").trim();
  return {
    what: el.tagName.toLowerCase() + (name ? ' "' + name.slice(0, 40) + '"' : ""),
    visible: box.width > 0 && box.height > 0 && el.checkVisibility({ opacityProperty: true, visibilityProperty: true })
      && box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth,
    indicator: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none",
  };
})()`;

/** Presses Tab up to `TABS` times; each element reached must be visible with a focus indicator. */
async function sweep(tab: Page): Promise<{ problems: string[]; reached: number }> {
  const problems: string[] = [];
  let reached = 0;
  for (let i = 0; i < TABS; i++) {
    await tab.keyboard.press("Tab");
    const focused = (await tab.evaluate(FOCUSED)) as { what: string; visible: boolean; indicator: boolean } | null;
    if (!focused) break;
    reached++;
    if (!focused.visible) problems.push(`${focused.what} is focused but not visible`);
    if (!focused.indicator) problems.push(`${focused.what} shows no focus indicator`);
  }
  return { problems, reached };
}

test("keyboard: tabbing through every page reaches visible elements with a visible focus indicator", async ({
  browser,
}) => {
  // Per page, so each page appended to PAGES brings its time (a loaded 2-core machine is slow).
  test.setTimeout(45_000 * PAGES.length);
  const problems: string[] = [];
  for (const page of PAGES) {
    const { context, tab, goto } = await open(browser, page);
    await goto();
    await tab.waitForLoadState("networkidle");
    const result = await sweep(tab);
    if (result.reached === 0) problems.push(`${page.path}: Tab reached nothing`);
    problems.push(...result.problems.map((p) => `${page.path}: ${p}`));
    await context.close();
  }
  expect(problems).toEqual([]);
});

// What sticks out on the right at 360 px (outside table scroll containers), to name in a failure.
const WIDEST = `[...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5 && !e.closest(".table-wrap"))
  .slice(-3)
  .map((e) => e.tagName.toLowerCase() + (typeof e.className === "string" && e.className ? "." + e.className.split(" ").join(".") : ""))
  .join(", ")`;

test("narrow: at 360 px no page scrolls sideways, and the navigation opens from the menu button", async ({
  browser,
}) => {
  // Per page, so each page appended to PAGES brings its time (a loaded 2-core machine is slow).
  test.setTimeout(45_000 * PAGES.length);
  const problems: string[] = [];
  for (const page of PAGES) {
    const { context, tab, goto } = await open(browser, page, { viewport: NARROW });
    await goto();
    await tab.waitForLoadState("networkidle");
    const width = (await tab.evaluate("document.documentElement.scrollWidth")) as number;
    if (width > NARROW.width)
      problems.push(`${page.path}: the page is ${width}px wide (${await tab.evaluate(WIDEST)})`);
    if (page.signedIn) {
      const links = tab.getByRole("navigation", { name: "Main" }).getByRole("link");
      await expect(links.first()).toBeHidden();
      await tab.getByRole("button", { name: "Menu" }).click();
      await expect(links.first()).toBeVisible();
      const after = (await tab.evaluate("document.documentElement.scrollWidth")) as number;
      if (after > NARROW.width) problems.push(`${page.path}: with the menu open the page is ${after}px wide`);
    }
    await context.close();
  }
  expect(problems).toEqual([]);
});
