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

const PERIOD_MS = 30_000;
const stepNow = () => Math.floor(Date.now() / PERIOD_MS);

/**
 * An authenticator app that hands out codes for successive time steps (the server accepts its
 * own step ±1, and each step once), so a test can use several codes without waiting for the clock.
 * Each code is picked when asked for: one step back only early in a step (the request then has
 * ≥ 10 s to arrive before that step ages out of the window), else the current step; a code two
 * or more steps ahead waits for the clock instead of being refused.
 */
export class Authenticator {
  readonly secret: string;
  #last = Number.NEGATIVE_INFINITY;
  constructor(secret: string) {
    this.secret = secret;
  }
  async next(): Promise<string> {
    const early = Date.now() % PERIOD_MS < 20_000;
    const step = Math.max(this.#last + 1, stepNow() - (early ? 1 : 0));
    while (step > stepNow() + 1) await new Promise((r) => setTimeout(r, PERIOD_MS - (Date.now() % PERIOD_MS) + 50));
    this.#last = step;
    return totp(this.secret).generate({ timestamp: step * PERIOD_MS + 1000 });
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
  const confirmed = await send("POST", "/v1/me/mfa/totp/confirm", token, { code: await app.next() });
  expect(confirmed.status, await confirmed.clone().text()).toBe(200);
  const { recovery_codes } = await confirmed.json<{ recovery_codes: string[] }>();
  return { app, recoveryCodes: recovery_codes };
}
