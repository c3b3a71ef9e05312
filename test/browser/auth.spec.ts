// Signing in through the portal: password + TOTP, an invite accepted from its email link, a
// passkey (Chromium's virtual authenticator), and the page paths next to the API's own.
import { expect, test } from "@playwright/test";
import { apiCall, bearer, emailText, freshTotpCode, logins, signIn, totpSecret, url } from "./support.ts";

test("happy path: sign in with password and the authenticator code (TOTP)", async ({ page }) => {
  // The demo's healthcare customer requires MFA; its admin enrolled the seeded secret.
  const user = logins().find((l) => totpSecret(l.email));
  if (!user) throw new Error("no demo login with a TOTP secret");
  await page.goto(url("/overview"));
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByLabel("Authenticator code").fill(await freshTotpCode(totpSecret(user.email) ?? ""));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/overview$/);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  // Sign out ends the session: the overview asks to sign in again.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto(url("/overview"));
  await expect(page).toHaveURL(/\/sign-in\?next=/);
});

test("errors: a wrong password shows the API's refusal and keeps the form", async ({ page }) => {
  await page.goto(url("/sign-in"));
  await page.getByLabel("Email").fill("admin@globex.example");
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("Request id");
  await expect(page.getByLabel("Email")).toHaveValue("admin@globex.example");
});

test("happy path: accept an invite from the email's link and land signed in", async ({ page }) => {
  const admin = await bearer("admin@globex.example");
  const email = `invitee-${Date.now()}@globex.example`;
  await apiCall(admin, "POST", "/v1/invites", { email, role: "developer" });
  const token = /token=([A-Za-z0-9_-]+)/.exec(await emailText(email, /token=/))?.[1];
  await page.goto(url(`/accept-invite?token=${token}`));
  await page.getByLabel("Your name").fill("Ivy Invitee");
  // A short password is a 422 naming the field: shown next to it.
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Accept invite" }).click();
  await expect(page.locator(".field-error")).toBeVisible();
  await page.getByLabel("Password").fill("a perfectly long invitee passphrase");
  await page.getByRole("button", { name: "Accept invite" }).click();
  await expect(page).toHaveURL(/\/overview$/);
  await expect(page.getByText(/Ivy Invitee/)).toBeVisible();
});

test("happy path: sign in with a passkey (virtual authenticator)", async ({ page, context }) => {
  // A user of its own: a passkey makes it a second factor of that user's password sign-in.
  const admin = await bearer("admin@globex.example");
  const email = `passkey-${Date.now()}@globex.example`;
  await apiCall(admin, "POST", "/v1/invites", { email, role: "developer" });
  const token = /token=([A-Za-z0-9_-]+)/.exec(await emailText(email, /token=/))?.[1];
  const password = "a perfectly long passkey-user passphrase";
  await apiCall(null, "POST", "/v1/invites/accept", { token, name: "Pat Passkey", password });
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  // Register a passkey from the portal's origin (the RP), signed in with the password.
  await signIn(page, email, password);
  await page.goto(url("/security"));
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByRole("button", { name: "Remove Passkey" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/overview$/);
  await expect(page.getByText(/Pat Passkey/)).toBeVisible();
});

test("serving: page paths answer the app, API paths keep their problem documents", async ({ request }) => {
  const signIn = await request.get(url("/sign-in"), { headers: { "sec-fetch-mode": "navigate", accept: "text/html" } });
  expect(signIn.status()).toBe(200);
  expect(await signIn.text()).toContain('<div id="root">');
  const deep = await request.get(url("/invoices/0190abcd"), { headers: { "sec-fetch-mode": "navigate" } });
  expect(await deep.text()).toContain('<div id="root">');
  const missing = await request.get(url("/v1/no-such-route"), { headers: { "sec-fetch-mode": "navigate" } });
  expect(missing.status()).toBe(404);
  expect(missing.headers()["content-type"]).toContain("application/problem+json");
  expect((await request.get(url("/openapi.json"))).headers()["content-type"]).toContain("application/json");
  expect(await (await request.get(url("/docs"))).text()).toContain("swagger-ui");
});
