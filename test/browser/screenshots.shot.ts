// The README's portal screenshots (docs/portal.md, "Screenshots"): the demo customer admin's
// overview with the forecast chart drawn, and the demo super_admin's staff queue, at 1280x800,
// into docs/images/. Each waits for the page's real content first, so a sign-in page or a
// spinner is never what gets saved.
import { expect, test } from "@playwright/test";
import { signIn, url } from "./support.ts";

const ADMIN = "admin@globex.example";
const STAFF = "staff@securebase.example";
const images = new URL("../../docs/images/", import.meta.url).pathname;

test("the overview with the cost forecast chart", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(url("/overview"));
  const chart = page.getByRole("img", { name: /Cost forecast chart/ });
  await expect(chart.locator("canvas")).toBeVisible();
  await expect(chart.getByText("95 % high")).toBeVisible();
  await chart.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${images}portal-overview.png`, animations: "disabled" });
});

test("the staff support queue", async ({ page }) => {
  await signIn(page, STAFF);
  await page.goto(url("/staff/queue"));
  const rows = page.getByTestId("queue-row");
  await expect(rows.first()).toBeVisible();
  await expect(rows.first().getByText(/left|breached|paused|met/)).toBeVisible();
  await page.screenshot({ path: `${images}staff-queue.png`, animations: "disabled" });
});
