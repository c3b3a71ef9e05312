// What the browser tests share: the stack global-setup.ts started, the demo logins, API calls for
// arranging state (bearer sessions, no browser), the email sink, TOTP codes.
import { expect, type Page } from "@playwright/test";
import * as OTPAuth from "otpauth";

export const base = () => process.env.PORTAL_BASE ?? "";
export const url = (path: string) => `${base()}${path}`;

interface Login {
  email: string;
  password: string;
  what: string;
}
export const logins = (): Login[] => JSON.parse(process.env.PORTAL_LOGINS ?? "[]");
export function login(email: string): Login {
  const found = logins().find((l) => l.email === email);
  if (!found) throw new Error(`no demo login ${email}`);
  return found;
}
export const totpSecret = (email: string): string | undefined => JSON.parse(process.env.PORTAL_TOTP ?? "{}")[email];

/** The current code of a TOTP secret (base32), as an authenticator app shows it. */
export const totpCode = (secret: string) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate();

// The server refuses a TOTP code used once (replay), and every spec file runs in this one worker
// process: each sign-in waits for a code no earlier sign-in of the run has used.
const usedCodes = new Set<string>();
export async function freshTotpCode(secret: string): Promise<string> {
  while (usedCodes.has(totpCode(secret))) await new Promise((resolve) => setTimeout(resolve, 1000));
  const code = totpCode(secret);
  usedCodes.add(code);
  return code;
}

/**
 * A bearer session for arranging state through the API (no browser), answering the second factor
 * with the account's demo TOTP secret when the login asks for one.
 */
export async function bearer(email: string, password = login(email).password): Promise<string> {
  const first = await apiCall<{ session_token?: string; mfa_token?: string }>(null, "POST", "/v1/auth/login", {
    email,
    password,
  });
  if (first.session_token) return first.session_token;
  const secret = totpSecret(email);
  if (!first.mfa_token || !secret) throw new Error(`login ${email}: no session and no TOTP to answer`);
  const second = await apiCall<{ session_token: string }>(null, "POST", "/v1/auth/login/mfa", {
    mfa_token: first.mfa_token,
    code: await freshTotpCode(secret),
  });
  return second.session_token;
}

export async function apiCall<T>(token: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await fetch(url(path), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

interface Email {
  body: { Destination: { ToAddresses: string[] }; Content: { Simple: { Body: { Text: { Data: string } } } } };
}
/** The text of the newest email to `address` matching `pattern`, once it reached the sink. */
export async function emailText(address: string, pattern: RegExp): Promise<string> {
  let found: string | undefined;
  await expect
    .poll(
      async () => {
        const emails = (await (await fetch(`${process.env.PORTAL_SINK}/emails`)).json()) as Email[];
        found = emails
          .filter((e) => e.body.Destination.ToAddresses.includes(address))
          .map((e) => e.body.Content.Simple.Body.Text.Data)
          .filter((text) => pattern.test(text))
          .at(-1);
        return found !== undefined;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  return found ?? "";
}

/** Signs in through the sign-in page, with the authenticator code when the account has a demo TOTP secret. */
export async function signIn(page: Page, email: string, password = login(email).password): Promise<void> {
  await page.goto(url("/sign-in"));
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const secret = totpSecret(email);
  if (secret) {
    await page.getByLabel("Authenticator code").fill(await freshTotpCode(secret));
    await page.getByRole("button", { name: "Verify", exact: true }).click();
  }
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}
