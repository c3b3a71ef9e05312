// Login throttles (docs/auth.md, "Credentials"), shaped so an attacker cannot lock the owner out:
// - per network: every attempt counts, 100 per 15 min per IPv4 address or IPv6 /64;
// - per account: only FAILED attempts count, 10 per 15 min. An attempt reserves a failure before
//   the password is checked (so parallel guesses cannot overrun the limit) and a correct password
//   gives it back. Once the account's failures are spent, a password is still tried only for a
//   client that presents a known-device token of that user (device-token.ts), against the
//   device's own 10 failures; everyone else waits for the window to end.
import type { AppContext } from "../http/context.ts";
import { clientIpBucket } from "../http/client-ip.ts";
import { rateLimited } from "../http/problem.ts";
import { consumeRateLimit, type RateLimitDecision, releaseRateLimit } from "../platform/rate-limit-client.ts";

export const LOGIN_WINDOW_SECONDS = 15 * 60;
const ATTEMPTS_PER_NETWORK = 100;
const FAILURES_PER_ACCOUNT = 10;
const FAILURES_PER_DEVICE = 10;

const tooMany = (decision: RateLimitDecision) => rateLimited(decision, "Too many login attempts");

/** Counts the attempt against the client's network; a 429 once the network is over its limit. */
export async function throttleLoginNetwork(c: AppContext): Promise<void> {
  const subject = `login:ip:${clientIpBucket(c)}`;
  const decision = await consumeRateLimit(c.env.RATE_LIMITER, subject, ATTEMPTS_PER_NETWORK, LOGIN_WINDOW_SECONDS);
  if (!decision.allowed) throw tooMany(decision);
}

/**
 * Reserves one failure for the account, or — once the account's are spent — for the known device
 * `device()` names (null: none, or not this user's). Returns the subject to release if the
 * password is right; a 429 when nothing may be reserved.
 */
export async function reserveLoginFailure(
  c: AppContext,
  address: string,
  device: () => Promise<string | null>,
): Promise<string> {
  const account = `login:email:${address}`;
  const decision = await consumeRateLimit(c.env.RATE_LIMITER, account, FAILURES_PER_ACCOUNT, LOGIN_WINDOW_SECONDS);
  if (decision.allowed) return account;
  const deviceId = await device();
  if (deviceId === null) throw tooMany(decision);
  const subject = `login:device:${deviceId}`;
  const onDevice = await consumeRateLimit(c.env.RATE_LIMITER, subject, FAILURES_PER_DEVICE, LOGIN_WINDOW_SECONDS);
  if (!onDevice.allowed) throw tooMany(onDevice);
  return subject;
}

/** The password was right: the reserved failure does not count. */
export const releaseLoginFailure = (c: AppContext, subject: string): Promise<void> =>
  releaseRateLimit(c.env.RATE_LIMITER, subject);
