// The usage page and notifications (docs/portal.md, "Usage and notifications"): the daily chart
// and its table match GET /v1/usage for a metric; the bell shows the API's unread count and drops
// to 0 after "Mark all read"; a notification's relative link opens its page; a preference toggled
// on the page persists (reload and API agree); security mail stays locked on.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { apiCall, bearer, signIn, url } from "./support.ts";

const ADMIN = "admin@globex.example";
const STAFF = "staff@securebase.example";
const METRIC = "nat_processing_gb";

interface UsageTotals {
  data: { metric: string; period_start: string; quantity: string; events: number }[];
}
interface NotificationPage {
  data: { id: string; title: string; body: string; read_at: string | null }[];
  has_more: boolean;
}
interface Preferences {
  data: { event_type: string; channel: string; enabled: boolean; locked: boolean }[];
}

/** Usable at 360 px: the page itself never scrolls sideways (wide tables scroll in their box). */
async function fitsNarrowScreen(page: Page) {
  await page.setViewportSize({ width: 360, height: 800 });
  // A string: this file is type-checked without the DOM library.
  const overflow = (await page.evaluate(
    "document.documentElement.scrollWidth - document.documentElement.clientWidth",
  )) as number;
  expect(overflow, "horizontal page scroll at 360 px").toBeLessThanOrEqual(0);
}

async function noSeriousAxe(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** "1000.500000" as the page shows it: "1,000.5". */
function shown(quantity: string): string {
  const [whole = "0", fraction = ""] = quantity.split(".");
  const trimmed = fraction.replace(/0+$/, "");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return trimmed ? `${grouped}.${trimmed}` : grouped;
}

const unreadCount = async (token: string) => {
  const page = await apiCall<NotificationPage>(token, "GET", "/v1/notifications?unread=true&limit=100");
  return `${page.data.length}${page.has_more ? "+" : ""}`;
};

test("happy path: the usage chart renders and its table has the API's daily numbers", async ({ page }) => {
  const token = await bearer(ADMIN);
  const now = new Date();
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
  const usage = await apiCall<UsageTotals>(token, "GET", `/v1/usage?granularity=day&from=${from}&to=${to}`);
  const rows = usage.data.filter((r) => r.metric === METRIC);
  expect(rows.length, "the demo data has NAT usage this month").toBeGreaterThan(0);

  await signIn(page, ADMIN);
  await page.goto(url("/usage"));
  await expect(page.getByRole("heading", { name: "Usage", exact: true })).toBeVisible();
  await page.getByRole("combobox", { name: "Metric" }).selectOption(METRIC);
  await expect(page.locator(".usage-chart canvas").first()).toBeVisible();
  const days = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
  await expect(page.getByTestId("usage-row")).toHaveCount(days);
  for (const row of rows) {
    const line = page.getByTestId("usage-row").filter({ has: page.getByRole("rowheader", { name: row.period_start }) });
    await expect(line.getByRole("cell").first()).toHaveText(shown(row.quantity));
    await expect(line.getByRole("cell").nth(1)).toHaveText(String(row.events));
  }
  await expect(page.getByRole("heading", { name: /^Metrics in / })).toBeVisible();
  await noSeriousAxe(page);
  await fitsNarrowScreen(page);
});

test("errors: a period whose end is before its start names the field", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(url("/usage"));
  await page.getByLabel("From").fill("2026-03-10");
  await page.getByLabel("To (inclusive)").fill("2026-03-01");
  const to = page.getByLabel("To (inclusive)");
  await expect(to).toHaveAttribute("aria-invalid", "true");
  await expect(to).toHaveAccessibleDescription("must be after `from`");
  await expect(page.getByText("Choose a valid period")).toBeVisible();
});

test("happy path: the bell shows the unread count, a notification links to its page, mark all read clears it", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const customer = await bearer(ADMIN);
  const staff = await bearer(STAFF);
  // A staff reply on the customer's ticket notifies the customer's admin, with a relative link.
  const subject = `Bell test ${Date.now()}`;
  const ticket = await apiCall<{ id: string }>(customer, "POST", "/v1/support/tickets", {
    subject,
    description: "Is the bell ringing?",
    priority: "low",
  });
  // Two replies, two notifications: one is marked read alone, the other by "Mark all read".
  for (const body of ["Reply for the bell test.", "Second reply for the bell test."])
    await apiCall(staff, "POST", `/v1/admin/support/tickets/${ticket.id}/comments`, { body, internal: false });
  await expect
    .poll(
      async () =>
        (await apiCall<NotificationPage>(customer, "GET", "/v1/notifications?limit=100")).data.filter((n) =>
          n.body.includes(`/support/tickets/${ticket.id}`),
        ).length,
      { timeout: 30_000 },
    )
    .toBe(2);

  await signIn(page, ADMIN);
  const bell = page.getByTestId("notification-bell");
  const expected = await unreadCount(customer);
  expect(expected).not.toBe("0");
  await expect(bell).toHaveAccessibleName(`Notifications, ${expected} unread`);

  await bell.click();
  await expect(page.getByRole("heading", { name: "Notifications", level: 1 })).toBeVisible();
  const item = page
    .getByTestId("notification")
    .filter({ hasText: `/support/tickets/${ticket.id}` })
    .first();
  await expect(item).toContainText("Unread");
  await noSeriousAxe(page);
  await fitsNarrowScreen(page);
  await item.getByRole("button", { name: /^Mark read/ }).click();
  await expect(item).toContainText("Read");
  await expect(item).not.toContainText("Unread");
  const mine = (await apiCall<NotificationPage>(customer, "GET", "/v1/notifications?limit=100")).data.filter((n) =>
    n.body.includes(`/support/tickets/${ticket.id}`),
  );
  expect(mine.map((n) => n.read_at !== null).sort()).toEqual([false, true]);
  await item.getByRole("link", { name: `/support/tickets/${ticket.id}` }).click();
  await expect(page).toHaveURL(new RegExp(`/support/tickets/${ticket.id}$`));
  await expect(page.getByText("Reply for the bell test.", { exact: true })).toBeVisible();

  await page.goBack();
  await page.getByRole("button", { name: "Mark all read" }).click();
  await expect(bell).toHaveAccessibleName("Notifications, 0 unread");
  await expect(page.getByTestId("notification").filter({ hasText: "Unread" })).toHaveCount(0);
  expect(await unreadCount(customer)).toBe("0");
});

test("happy path: a preference toggled on the page persists; security mail is locked on", async ({ page }) => {
  const token = await bearer(ADMIN);
  const current = async () =>
    (await apiCall<Preferences>(token, "GET", "/v1/notifications/preferences")).data.find(
      (p) => p.event_type === "webhook.delivery.dead" && p.channel === "email",
    )?.enabled;
  const before = await current();
  expect(before).toBeDefined();

  await signIn(page, ADMIN);
  await page.goto(url("/notifications"));
  const box = page.getByRole("checkbox", { name: "Webhook delivery dead: Email" });
  await expect(box).toBeChecked({ checked: Boolean(before) });
  await box.click();
  await expect(box).toBeChecked({ checked: !before });
  await expect.poll(current).toBe(!before);
  await page.reload();
  await expect(page.getByRole("checkbox", { name: "Webhook delivery dead: Email" })).toBeChecked({
    checked: !before,
  });

  const locked = page.getByRole("checkbox", { name: "API key revoked: Email" });
  await expect(locked).toBeChecked();
  await expect(locked).toBeDisabled();
  await expect(locked).toHaveAccessibleDescription(/cannot be switched off/);

  // Back as it was (other specs share this demo user).
  await page.getByRole("checkbox", { name: "Webhook delivery dead: Email" }).click();
  await expect.poll(current).toBe(before);
});
