// The TOTP enrolment shows the otpauth:// URI as a QR code (docs/portal.md, "TOTP QR code") next to
// the key's text: on the security page, and on /enrol-mfa when the organization requires MFA.
// Nothing is decoded here: the code is an SVG with an accessible name and a real module matrix.
import { expect, type Page, test } from "@playwright/test";
import { apiCall, bearer, emailText, signIn, url } from "./support.ts";

const PASSWORD = "a perfectly long qr-code user passphrase";

/** A new user of the admin's organization, invited and accepted through the API. */
async function newUser(adminEmail: string, prefix: string): Promise<string> {
  const admin = await bearer(adminEmail);
  const domain = adminEmail.split("@")[1];
  const email = `${prefix}-${Date.now()}@${domain}`;
  await apiCall(admin, "POST", "/v1/invites", { email, role: "developer" });
  const token = /token=([A-Za-z0-9_-]+)/.exec(await emailText(email, /token=/))?.[1];
  await apiCall(null, "POST", "/v1/invites/accept", { token, name: "Quinn Qr", password: PASSWORD });
  return email;
}

async function expectQr(page: Page): Promise<void> {
  const qr = page.getByRole("img", { name: /QR code/ });
  await expect(qr).toBeVisible();
  // A version 2+ code (25+ modules a side with its border) with a few hundred dark modules.
  expect(Number(await qr.getAttribute("data-modules"))).toBeGreaterThanOrEqual(25);
  expect(await qr.locator("rect.qr-dark").count()).toBeGreaterThan(150);
  expect(await qr.getAttribute("style")).toBeNull();
}

test("happy path: setting up an authenticator app on the security page shows the key as a QR code", async ({
  page,
}) => {
  const email = await newUser("admin@globex.example", "qr");
  await signIn(page, email, PASSWORD);
  await page.goto(url("/security"));
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expectQr(page);
  await expect(page.locator("code.secret-value")).toHaveText(/^[A-Z2-7]{16,}$/);
});

test("happy path: the enrolment an organization requires shows the key as a QR code", async ({ page }) => {
  // The demo healthcare customer requires MFA: a new user's password sign-in goes to /enrol-mfa.
  const email = await newUser("admin@acme-health.example", "qr-enrol");
  await page.goto(url("/sign-in"));
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/enrol-mfa$/);
  await expectQr(page);
  await expect(page.getByTestId("totp-secret")).toHaveText(/^[A-Z2-7]{16,}$/);
});
