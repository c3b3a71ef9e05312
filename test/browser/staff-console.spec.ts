// The staff console (docs/portal.md, "Staff console"), as the demo super_admin: onboard a customer
// and find it in the list, change its tier, suspend and reinstate it (the API confirms each), a dry
// billing run that shows its results and issues no invoice, and the platform status page's cron jobs.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { apiCall, bearer, signIn, url } from "./support.ts";

const STAFF = "staff@securebase.example";

interface Customer {
  id: string;
  name: string;
  tier: string;
  status: string;
}
interface List<T> {
  data: T[];
}

async function noSeriousAxe(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** Every invoice of every customer, counted through the staff API (an audited read with a reason). */
async function invoiceCount(token: string): Promise<number> {
  const customers = await apiCall<List<Customer>>(token, "GET", "/v1/admin/customers?limit=100");
  let count = 0;
  for (const c of customers.data) {
    const reason = encodeURIComponent("Browser test: dry run issues nothing");
    count += (
      await apiCall<List<unknown>>(token, "GET", `/v1/admin/customers/${c.id}/invoices?limit=100&reason=${reason}`)
    ).data.length;
  }
  return count;
}

test("happy path: staff onboard a customer, change its tier, suspend and reinstate it", async ({ page }) => {
  test.setTimeout(240_000);
  const staff = await bearer(STAFF);
  const tag = Date.now().toString(36);
  const name = `Browser Clinic ${tag}`;
  await signIn(page, STAFF);
  await page.goto(url("/staff/customers"));
  await expect(page.getByRole("heading", { name: "Customers", level: 1 })).toBeVisible();
  const staffNav = page.getByRole("navigation", { name: "Staff console" });
  for (const link of ["Queue", "Customers", "Billing runs", "Status"])
    await expect(staffNav.getByRole("link", { name: link })).toBeVisible();
  await expect(page.getByTestId("customer-row").first()).toBeVisible();
  await noSeriousAxe(page);

  // A 422 shows beside its field: the admin email already belongs to a user.
  const form = page.getByRole("form", { name: "Onboard a customer" });
  await form.getByLabel("Organization name").fill(name);
  await form.getByLabel("Billing email").fill(`billing-${tag}@clinic.example`);
  await form.getByLabel("Tier").selectOption("standard");
  await form.getByLabel("First admin's email (invited)").fill("admin@globex.example");
  await form.getByRole("button", { name: "Onboard customer" }).click();
  await expect(form.getByText("already belongs to a user")).toBeVisible();
  await expect(form.getByLabel("First admin's email (invited)")).toHaveAttribute("aria-invalid", "true");

  await form.getByLabel("First admin's email (invited)").fill(`admin-${tag}@clinic.example`);
  await form.getByRole("button", { name: "Onboard customer" }).click();
  await expect(form.getByText(`${name} is onboarded`)).toBeVisible();
  const link = page.getByRole("link", { name });
  await expect(link).toBeVisible();
  const listed = await apiCall<List<Customer>>(staff, "GET", "/v1/admin/customers?limit=100");
  const created = listed.data.find((c) => c.name === name);
  expect(created).toMatchObject({ tier: "standard", status: "active" });
  const id = created!.id;

  // Tier change: confirmed, with the proration note.
  await link.click();
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
  await page.getByLabel("New tier").selectOption("healthcare");
  await page.getByRole("button", { name: "Change tier…" }).click();
  await expect(page.getByText("this month's base fee is prorated", { exact: false })).toBeVisible();
  await page.getByRole("button", { name: "Confirm tier change" }).click();
  await expect(page.getByRole("button", { name: "Confirm tier change" })).toHaveCount(0);
  await expect
    .poll(async () => (await apiCall<Customer>(staff, "GET", `/v1/admin/customers/${id}`)).tier)
    .toBe("healthcare");
  await noSeriousAxe(page);

  // Suspend, then reinstate, each confirmed with a reason.
  await page.getByRole("button", { name: "Suspend…" }).click();
  await page.getByLabel("Reason to suspend", { exact: false }).fill("Browser test: suspected key leak");
  await page.getByRole("button", { name: "Confirm suspension" }).click();
  await expect(page.getByRole("button", { name: "Reinstate…" })).toBeVisible();
  expect((await apiCall<Customer>(staff, "GET", `/v1/admin/customers/${id}`)).status).toBe("suspended");

  await page.getByRole("button", { name: "Reinstate…" }).click();
  await page.getByLabel("Reason to reinstate", { exact: false }).fill("Browser test: keys rotated");
  await page.getByRole("button", { name: "Confirm reinstatement" }).click();
  await expect(page.getByRole("button", { name: "Suspend…" })).toBeVisible();
  expect((await apiCall<Customer>(staff, "GET", `/v1/admin/customers/${id}`)).status).toBe("active");

  // Its invoices, read with a reason (a new customer has none yet).
  await page.getByLabel("Why you read this customer's billing", { exact: false }).fill("Browser test: billing check");
  await page.getByRole("button", { name: "Show invoices" }).click();
  await expect(page.getByText("No invoices yet.")).toBeVisible();
  await noSeriousAxe(page);

  // Usable at 360 px: no horizontal page scroll.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(url("/staff/customers"));
  await expect(page.getByTestId("customer-row").first()).toBeVisible();
  // A string (evaluated in the page): the test tsconfig has no DOM types.
  expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
});

test("happy path: a dry billing run shows its results and issues no invoice", async ({ page }) => {
  test.setTimeout(240_000);
  const staff = await bearer(STAFF);
  const before = await invoiceCount(staff);
  const runsBefore = (await apiCall<List<unknown>>(staff, "GET", "/v1/admin/billing-runs?limit=100")).data.length;
  await signIn(page, STAFF);
  await page.goto(url("/staff/billing-runs"));
  await expect(page.getByRole("heading", { name: "Billing runs", level: 1 })).toBeVisible();
  await expect(page.getByLabel("Dry run", { exact: false })).toBeChecked();
  await page.getByRole("button", { name: "Start run" }).click();
  const result = page.getByTestId("run-result");
  await expect(result.getByText(/Dry run for \d{4}-\d{2}: succeeded/)).toBeVisible();
  await expect(result.getByText("no invoice was issued", { exact: false })).toBeVisible();
  await expect(page.getByTestId("run-row")).toHaveCount(Math.min(runsBefore + 1, 50));
  await expect(page.getByTestId("run-row").first().getByText("dry run", { exact: false })).toBeVisible();
  const runs = await apiCall<List<{ dry_run: boolean; status: string }>>(
    staff,
    "GET",
    "/v1/admin/billing-runs?limit=1",
  );
  expect(runs.data[0]).toMatchObject({ dry_run: true, status: "succeeded" });
  expect(await invoiceCount(staff)).toBe(before);
  await noSeriousAxe(page);

  // A month that has not ended is refused beside the field.
  await page.getByLabel("Month", { exact: false }).fill("2999-01");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByText("must be a month that has ended")).toBeVisible();
});

test("happy path: the status page shows every cron job and the alerts", async ({ page }) => {
  test.setTimeout(240_000);
  const staff = await bearer(STAFF);
  const status = await apiCall<{ jobs: { job: string }[] }>(staff, "GET", "/v1/admin/status");
  expect(status.jobs.length).toBeGreaterThan(0);
  await signIn(page, STAFF);
  await page.goto(url("/staff/status"));
  await expect(page.getByRole("heading", { name: "Cron jobs" })).toBeVisible();
  await expect(page.getByTestId("job-row")).toHaveCount(status.jobs.length);
  for (const job of status.jobs) await expect(page.getByRole("rowheader", { name: job.job })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Alerts" })).toBeVisible();
  await expect(page.getByText("Dead webhook deliveries")).toBeVisible();
  await noSeriousAxe(page);
});
