// Second factors in tests: TOTP codes computed from the secret with otpauth, as an app would.
import { Secret, TOTP } from "otpauth";
import { expect } from "vitest";
import { call, send } from "./http.ts";
import { randomIp } from "./identity.ts";

const totp = (secret: string) =>
  new TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: Secret.fromBase32(secret) });

/** The code for the time step `offset` steps from now. */
export const codeAt = (secret: string, offset = 0) =>
  totp(secret).generate({ timestamp: Date.now() + offset * 30_000 });

/**
 * An authenticator app that hands out codes for successive time steps, starting one step back
 * (the server accepts ±1 step and each step once), so a test can use three codes in a row
 * without waiting for the clock.
 */
export class Authenticator {
  readonly secret: string;
  #step = Math.floor(Date.now() / 30_000) - 1;
  constructor(secret: string) {
    this.secret = secret;
  }
  next(): string {
    return totp(this.secret).generate({ timestamp: this.#step++ * 30_000 + 1000 });
  }
}

/** POST /v1/auth/login from a fresh address; the parsed body and status. */
export async function loginAttempt(email: string, password: string) {
  const response = await call("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
    body: JSON.stringify({ email, password }),
  });
  return { status: response.status, body: await response.json<Record<string, unknown>>() };
}

/** POST /v1/auth/login/mfa from a fresh address. */
export const mfaLogin = (body: Record<string, unknown>) =>
  call("/v1/auth/login/mfa", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
    body: JSON.stringify(body),
  });

/** Enrols a TOTP authenticator for the bearer of `token`; its app and recovery codes. */
export async function enrolTotp(token: string): Promise<{ app: Authenticator; recoveryCodes: string[] }> {
  const started = await send("POST", "/v1/me/mfa/totp", token);
  expect(started.status, await started.clone().text()).toBe(201);
  const { secret } = await started.json<{ secret: string }>();
  const app = new Authenticator(secret);
  const confirmed = await send("POST", "/v1/me/mfa/totp/confirm", token, { code: app.next() });
  expect(confirmed.status, await confirmed.clone().text()).toBe(200);
  const { recovery_codes } = await confirmed.json<{ recovery_codes: string[] }>();
  return { app, recoveryCodes: recovery_codes };
}
