// Key flows done with the keyboard only (docs/portal.md, "Keyboard and narrow screens"): sign in,
// create an API key, and at 360 px open the menu and go to another page. No clicks.
import { expect, type Locator, type Page, test } from "@playwright/test";
import { login, url } from "./support.ts";

const ADMIN = "admin@globex.example";

/** Presses Tab until `target` has focus (at most 60 times), as a keyboard user would. */
async function tabTo(page: Page, target: Locator): Promise<void> {
  await expect(target).toBeVisible();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((el) => el.matches(":focus"))) return;
  }
  throw new Error(`Tab never reached ${target}`);
}

async function signInByKeyboard(page: Page): Promise<void> {
  await page.goto(url("/sign-in"));
  await expect(page.getByRole("heading", { name: "Sign in to SecureBase" })).toBeVisible();
  await tabTo(page, page.getByLabel("Email"));
  await page.keyboard.type(ADMIN);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(login(ADMIN).password);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

test("keyboard: sign in with the keyboard only", async ({ page }) => {
  await signInByKeyboard(page);
  await expect(page).toHaveURL(/\/overview$/);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
});

test("keyboard: create an API key with the keyboard only and see its secret once", async ({ page }) => {
  await signInByKeyboard(page);
  await page.goto(url("/api-keys"));
  await tabTo(page, page.getByRole("button", { name: "Create key" }));
  await page.keyboard.press("Enter");
  // The form opens with its first field focused.
  await expect(page.getByLabel("Name")).toBeFocused();
  await page.keyboard.type(`Keyboard key ${Date.now()}`);
  await tabTo(page, page.getByRole("checkbox", { name: "usage:read" }));
  await page.keyboard.press("Space");
  await expect(page.getByRole("checkbox", { name: "usage:read" })).toBeChecked();
  await tabTo(page, page.getByRole("button", { name: "Create", exact: true }));
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("secret-value")).toContainText("sb_");
});

test("keyboard: at 360 px, open the menu and go to another page with the keyboard only", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signInByKeyboard(page);
  const menu = page.getByRole("button", { name: "Menu" });
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await tabTo(page, menu);
  await page.keyboard.press("Enter");
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await tabTo(page, page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Invoices" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Invoices", level: 1 })).toBeVisible();
  // Going somewhere closes the menu again.
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Invoices" })).toBeHidden();
});
