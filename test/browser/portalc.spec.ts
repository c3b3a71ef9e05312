// Billing, support and staff pages (docs/portal.md, "Billing, support and staff pages"): an invoice
// and its print view, a ticket as the customer sees it (the staff reply, never the internal note),
// the staff queue in SLA-deadline order, and axe on each page.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { apiCall, bearer, signIn, url } from "./support.ts";

const ADMIN = "admin@globex.example";
const STAFF = "staff@securebase.example";

async function noSeriousAxe(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

test("happy path: an invoice opens with its lines, and its print view shows the same document", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(url("/invoices"));
  await expect(page.getByRole("heading", { name: "Invoices" })).toBeVisible();
  await noSeriousAxe(page);
  const first = page.getByRole("table").getByRole("link").first();
  const number = (await first.textContent()) ?? "";
  await first.click();
  await expect(page.getByRole("heading", { name: `Invoice ${number}` })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Line items" })).toBeVisible();
  await noSeriousAxe(page);
  await page.getByRole("link", { name: "Print view" }).click();
  await expect(page.getByRole("heading", { name: `SecureBase — Invoice ${number}` })).toBeVisible();
  await expect(page.getByRole("button", { name: "Print" })).toBeVisible();
  await noSeriousAxe(page);
});

test("security: the customer sees the staff reply on their ticket and never the internal note", async ({ page }) => {
  const customer = await bearer(ADMIN);
  const staff = await bearer(STAFF);
  const ticket = await apiCall<{ id: string }>(customer, "POST", "/v1/support/tickets", {
    subject: `Browser test ticket ${Date.now()}`,
    description: "Exports stopped.",
    priority: "high",
  });
  await apiCall(staff, "POST", `/v1/admin/support/tickets/${ticket.id}/comments`, {
    body: "Public: we restored the export.",
    internal: false,
  });
  await apiCall(staff, "POST", `/v1/admin/support/tickets/${ticket.id}/comments`, {
    body: "Internal: customer is difficult",
    internal: true,
  });
  await signIn(page, ADMIN);
  await page.goto(url(`/support/tickets/${ticket.id}`));
  await expect(page.getByText("Public: we restored the export.")).toBeVisible();
  await expect(page.getByText("SecureBase support ·", { exact: false })).toBeVisible();
  await expect(page.getByText("Internal: customer is difficult")).toHaveCount(0);
  await noSeriousAxe(page);
  await page.goto(url("/support"));
  await expect(page.getByRole("link", { name: /Browser test ticket/ }).first()).toBeVisible();
  await noSeriousAxe(page);
});

test("happy path: the staff queue lists tickets nearest SLA deadline first, notes marked apart", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, STAFF);
  // The API's order (next SLA deadline first), read with the page's own cookie session.
  const answer = await page.request.get(url("/v1/admin/support/tickets?limit=100"));
  const queue = (await answer.json()) as { data: { id: string; subject: string }[] };
  expect(queue.data.length).toBeGreaterThan(1);
  await page.goto(url("/staff/queue"));
  const rows = page.getByTestId("queue-row");
  await expect(rows.first()).toBeVisible();
  await expect(rows).toHaveCount(queue.data.length);
  // Same order as the API's (which orders by the next SLA deadline).
  expect(await rows.locator("td:first-child").allTextContents()).toEqual(queue.data.map((t) => t.subject));
  await expect(rows.first().getByText(/left|breached|paused|met/)).toBeVisible();
  await noSeriousAxe(page);
  // The demo conversation carries an internal note: drawn apart and labelled.
  await page.getByRole("link", { name: "October invoice bills NAT processing twice" }).click();
  await expect(page.getByText("Internal note — not visible to the customer")).toBeVisible();
  await noSeriousAxe(page);
});
