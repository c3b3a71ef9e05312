// The signed-in pages: an API key's secret shown once, the forecast chart, role gating (a viewer
// is offered no write action).
import { expect, test } from "@playwright/test";
import { apiCall, bearer, emailText, signIn, url } from "./support.ts";

const ADMIN = "admin@globex.example";

test("happy path: a new API key's secret is shown once, with the scopes chosen", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(url("/api-keys"));
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByLabel("Name").fill("browser-test key");
  await page.getByRole("checkbox", { name: "invoices:read" }).check();
  await page.getByRole("button", { name: "Create", exact: true }).click();
  const secret = page.getByTestId("secret-value");
  await expect(secret).toHaveText(/^sb_live_\S+$/);
  const key = (await secret.textContent()) ?? "";
  // The key works against the API with the scope chosen.
  const answer = await fetch(url("/v1/me"), { headers: { authorization: `Bearer ${key}` } });
  expect(((await answer.json()) as { permissions: string[] }).permissions).toEqual(["invoices:read"]);
  await expect(page.getByRole("row", { name: /browser-test key/ })).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("secret-value")).toHaveCount(0);
  // Never again: a reload lists the key without its secret.
  await page.reload();
  await expect(page.getByRole("row", { name: /browser-test key/ })).toBeVisible();
  await expect(page.getByText(key)).toHaveCount(0);
});

test("happy path: the overview draws the forecast chart with its 80 % and 95 % bands", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(url("/overview"));
  const chart = page.getByRole("img", { name: /Cost forecast chart/ });
  await expect(chart.locator("canvas")).toBeVisible();
  await expect(page.getByRole("table", { name: "Forecast invoice totals" })).toBeVisible();
  await expect(page.getByRole("columnheader", { name: "95 % range" })).toBeVisible();
  // Each band legend entry is drawn by uPlot.
  await expect(chart.getByText("80 % low")).toBeVisible();
  await expect(chart.getByText("95 % high")).toBeVisible();
});

test("security: a viewer is offered no write action", async ({ page }) => {
  const admin = await bearer(ADMIN);
  const email = `viewer-${Date.now()}@globex.example`;
  await apiCall(admin, "POST", "/v1/invites", { email, role: "viewer" });
  const token = /token=([A-Za-z0-9_-]+)/.exec(await emailText(email, /token=/))?.[1];
  const password = "a perfectly long viewer passphrase";
  await apiCall(null, "POST", "/v1/invites/accept", { token, name: "Vera Viewer", password });
  await signIn(page, email, password);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Overview" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Invoices" })).toBeVisible();
  // Pages the role may not use are not offered…
  await expect(nav.getByRole("link", { name: "API keys" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Team" })).toHaveCount(0);
  // …and typed in, they show the API's refusal with its request id, and no write action.
  await page.goto(url("/api-keys"));
  await expect(page.getByRole("alert")).toContainText("Request id");
  await expect(page.getByRole("button", { name: "Create key" })).toHaveCount(0);
  await page.goto(url("/team"));
  await expect(page.getByRole("alert").first()).toContainText("Request id");
  await expect(page.getByRole("button", { name: "Send invite" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Deactivate / })).toHaveCount(0);
});
