// Managed accounts, the audit log and the activity feed (docs/portal.md, "Accounts, audit log and
// activity"): the demo accounts and an add whose 422 shows beside its field, a rename; audit
// filters narrowing to an action made through the API, an event's before/after, chain
// verification and the export download; the activity sentence linking to the account; a viewer
// offered no write action and no audit log.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { apiCall, bearer, emailText, signIn, url } from "./support.ts";

const ADMIN = "admin@globex.example";
// Several sign-ins and page loads per test on a shared 2-core machine: room beyond the 60 s default.
test.describe.configure({ timeout: 120_000 });
interface Account {
  id: string;
  name: string;
}

async function noSeriousAxe(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** No horizontal page scroll at 360 px wide (tables scroll in their own container). */
async function fitsNarrow(page: Page) {
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("happy path: the demo accounts are listed, an empty name's 422 shows beside the field, and a new account can be renamed", async ({
  page,
}) => {
  await signIn(page, ADMIN);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Accounts" }).click();
  await expect(page.getByRole("heading", { name: "Managed accounts" })).toBeVisible();
  await expect(page.getByRole("row", { name: /payments-prod/ })).toContainText("444455556661");
  await expect(page.getByRole("row", { name: /data-sandbox/ })).toContainText("provisioning");
  await noSeriousAxe(page);
  await fitsNarrow(page);

  await page.getByRole("button", { name: "Add account" }).click();
  await page.getByRole("button", { name: "Create account" }).click();
  const name = page.getByLabel("Account name");
  await expect(name).toHaveAttribute("aria-invalid", "true");
  const describedBy = (await name.getAttribute("aria-describedby")) ?? "";
  await expect(page.locator(`[id="${describedBy}"]`)).toBeVisible();

  const created = `browser-acct-${Date.now()}`;
  await name.fill(created);
  await page.getByLabel("Environment").selectOption("staging");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("status")).toContainText(`Account ${created} is being provisioned`);
  await page.getByRole("link", { name: created }).click();
  await expect(page.getByRole("heading", { name: `Account ${created}` })).toBeVisible();
  await noSeriousAxe(page);
  await page.getByLabel("Account name").fill(`${created}-renamed`);
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByRole("heading", { name: `Account ${created}-renamed` })).toBeVisible();
  // Its history (audit:read) shows both changes.
  await expect(
    page.getByRole("link", { name: `Managed account ${created} renamed to ${created}-renamed` }),
  ).toBeVisible();
  await expect(page.getByRole("link", { name: /created$/ })).toBeVisible();
});

test("happy path: an action filter narrows the audit log, the event shows before and after, the chain verifies OK and exports", async ({
  page,
}) => {
  const admin = await bearer(ADMIN);
  const account = await apiCall<Account>(admin, "POST", "/v1/accounts", {
    name: `audit-${Date.now()}`,
    environment: "development",
  });
  await apiCall(admin, "PATCH", `/v1/accounts/${account.id}`, { name: `${account.name}-b` });
  await signIn(page, ADMIN);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  const rows = page.getByRole("table").getByRole("row");
  // Unfiltered, the sign-in of this test is there too.
  await expect(page.getByRole("cell", { name: "user.logged_in" }).first()).toBeVisible();
  await noSeriousAxe(page);
  await fitsNarrow(page);

  await page.getByLabel("Action").fill("account.renamed");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/action=account\.renamed/);
  const summary = `Managed account ${account.name} renamed to ${account.name}-b`;
  await expect(page.getByRole("link", { name: summary })).toBeVisible();
  await expect(page.getByRole("cell", { name: "user.logged_in" })).toHaveCount(0);
  const actions = await page.getByRole("table").locator("tbody td code").allTextContents();
  expect(new Set(actions)).toEqual(new Set(["account.renamed"]));
  expect(await rows.count()).toBe(actions.length + 1);

  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Chain OK" })).toContainText(/Chain OK: \d+ events? checked/);

  const csv = page.getByRole("link", { name: "Export CSV" });
  await expect(csv).toHaveAttribute("download", "");
  const exported = await page.request.get(url((await csv.getAttribute("href")) ?? ""));
  expect(exported.status()).toBe(200);
  expect(exported.headers()["content-type"]).toContain("text/csv");
  expect(await exported.text()).toContain("account.renamed");

  await page.getByRole("link", { name: summary }).click();
  await expect(page.getByRole("heading", { name: /^Audit event #\d+$/ })).toBeVisible();
  const change = page.getByRole("row", { name: /^name/ });
  await expect(change).toContainText(`"${account.name}"`);
  await expect(change).toContainText(`"${account.name}-b"`);
  await noSeriousAxe(page);
  await page.getByRole("link", { name: "Open" }).click();
  await expect(page.getByRole("heading", { name: `Account ${account.name}-b` })).toBeVisible();
});

test("happy path: the activity feed says what happened, when, and links to the account", async ({ page }) => {
  const admin = await bearer(ADMIN);
  const account = await apiCall<Account>(admin, "POST", "/v1/accounts", {
    name: `feed-${Date.now()}`,
    environment: "sandbox",
  });
  await signIn(page, ADMIN);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
  const item = page.getByRole("listitem").filter({ hasText: `Managed account ${account.name} (sandbox) created.` });
  await expect(item).toBeVisible();
  await expect(item.locator("time")).toHaveText(/ago|now/);
  await noSeriousAxe(page);
  await item.getByRole("link", { name: /View/ }).click();
  await expect(page.getByRole("heading", { name: `Account ${account.name}` })).toBeVisible();
});

test("security: a viewer sees the accounts but no way to add or change one, and no audit log", async ({ page }) => {
  const admin = await bearer(ADMIN);
  const email = `viewer-accts-${Date.now()}@globex.example`;
  await apiCall(admin, "POST", "/v1/invites", { email, role: "viewer" });
  const token = /token=([A-Za-z0-9_-]+)/.exec(await emailText(email, /token=/))?.[1];
  const password = "a perfectly long viewer passphrase";
  await apiCall(null, "POST", "/v1/invites/accept", { token, name: "Vic Viewer", password });
  await signIn(page, email, password);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Activity" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Audit" })).toHaveCount(0);
  await nav.getByRole("link", { name: "Accounts" }).click();
  await expect(page.getByRole("row", { name: /payments-prod/ })).toBeVisible();
  await expect(page.getByRole("button", { name: "Add account" })).toHaveCount(0);
  await page.getByRole("link", { name: "payments-prod" }).click();
  await expect(page.getByRole("heading", { name: "Account payments-prod" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Save name" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Close account" })).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "History" })).toHaveCount(0);
  // Typed in, the audit log shows the API's refusal with its request id.
  await page.goto(url("/audit"));
  await expect(page.getByRole("alert").first()).toContainText("Request id");
});
