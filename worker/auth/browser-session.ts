// Browser sessions (docs/auth.md, "Browser sessions"). A sign-in route called with
// `?session=cookie` puts the session token in an HttpOnly `__Host-` cookie instead of the body,
// so no script can read it, and answers a CSRF token instead. Any unsafe request that
// authenticates with that cookie must then prove it comes from our own pages: the browser's
// Origin / Sec-Fetch-Site say same-origin, and the X-CSRF-Token header carries the session's
// CSRF token (a header a cross-site form or simple request cannot set). Bearer tokens need
// neither: a browser never attaches an Authorization header on its own.
import { z } from "@hono/zod-openapi";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppContext } from "../http/context.ts";
import { ProblemError } from "../http/problem.ts";
import { toBase64Url } from "../platform/encoding.ts";
import { DEVICE_TOKEN_TTL_SECONDS } from "./device-token.ts";
import { signingKeys } from "./session-token.ts";

/**
 * The cookies are `__Host-sb_session` and `__Host-sb_device`: the `__Host-` prefix (added by
 * hono's `prefix: "host"`) pins them to this exact origin — Secure, Path=/, no Domain.
 */
const SESSION_COOKIE = "sb_session";
const DEVICE_COOKIE = "sb_device";
export const CSRF_HEADER = "x-csrf-token";

/** The `?session=` query parameter of every sign-in route. */
export const sessionModeQuery = z.object({
  session: z
    .enum(["bearer", "cookie"])
    .optional()
    .openapi({
      param: { name: "session", in: "query" },
      description:
        "`cookie`: set the session as an HttpOnly `__Host-sb_session` cookie (for the portal) and answer a " +
        "`csrf_token` instead of the `session_token`. Default `bearer`.",
    }),
});

/** What a sign-in answers in cookie mode in place of `session_token`. */
export const browserSessionFields = {
  token_type: z.literal("Cookie"),
  csrf_token: z.string().openapi({
    description:
      "Send as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE made with the session cookie. Also in GET /v1/me.",
  }),
};

export const wantsCookie = (c: AppContext) => new URL(c.req.url).searchParams.get("session") === "cookie";

/** The session cookie's token, if the request carries one. */
export const cookieSessionToken = (c: AppContext) => getCookie(c, SESSION_COOKIE, "host");
export const cookieDeviceToken = (c: AppContext) => getCookie(c, DEVICE_COOKIE, "host");

const encoder = new TextEncoder();
const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: Uint8Array, kid: string): Promise<CryptoKey> {
  let key = hmacKeys.get(kid);
  if (!key) {
    key = crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(kid, key);
  }
  return key;
}

async function csrfTokenWith(secret: Uint8Array, kid: string, sessionId: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, kid), encoder.encode(`csrf:${sessionId}`));
  return `${kid}.${toBase64Url(new Uint8Array(mac))}`;
}

/** The session's CSRF token: an HMAC of its id, so nothing is stored and every tab shares it. */
export async function csrfToken(config: string, sessionId: string): Promise<string> {
  const [current] = signingKeys(config);
  return csrfTokenWith(current!.secret, current!.kid, sessionId);
}

async function csrfTokenValid(config: string, sessionId: string, presented: string): Promise<boolean> {
  const key = signingKeys(config).find((k) => presented.startsWith(`${k.kid}.`));
  if (!key) return false;
  const expected = await csrfTokenWith(key.secret, key.kid, sessionId);
  let diff = expected.length ^ presented.length;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ presented.charCodeAt(i % presented.length);
  return diff === 0;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Origins our own pages are served from: this request's origin and the configured public one. */
function ownOrigins(c: AppContext): Set<string> {
  const origins = new Set([new URL(c.req.url).origin]);
  for (const url of [c.env.PUBLIC_API_URL]) {
    try {
      if (url) origins.add(new URL(url).origin);
    } catch {
      // A malformed setting adds nothing; the request's own origin still counts.
    }
  }
  return origins;
}

const csrfRefused = (detail: string) => new ProblemError(403, "csrf-refused", "Cross-site request refused", detail);

/**
 * Throws a 403 unless a cookie-authenticated request is safe or provably same-origin with the
 * session's CSRF token. Fetch metadata and Origin first (cheap, and they alone stop a
 * cross-site form), the token second (older browsers without fetch metadata).
 */
export async function checkCsrf(c: AppContext, sessionId: string): Promise<void> {
  if (!UNSAFE.has(c.req.method)) return;
  const site = c.req.header("sec-fetch-site");
  const origin = c.req.header("origin");
  if (site !== undefined && site !== "same-origin")
    throw csrfRefused(`A ${site} request cannot use the session cookie; call from the portal's own origin.`);
  if (origin !== undefined && !ownOrigins(c).has(origin))
    throw csrfRefused(`Origin ${origin.slice(0, 200)} may not use the session cookie.`);
  if (site === undefined && origin === undefined)
    throw csrfRefused("A request made with the session cookie must carry an Origin or Sec-Fetch-Site header.");
  const presented = c.req.header(CSRF_HEADER);
  if (!presented || !(await csrfTokenValid(c.env.SESSION_SIGNING_KEYS, sessionId, presented)))
    throw csrfRefused("Send the session's CSRF token (from the sign-in answer or GET /v1/me) as X-CSRF-Token.");
}

/** Sets (or renews) the session cookie; it lives as long as the token, so idle expiry is the browser's too. */
export function setSessionCookie(c: AppContext, token: string, maxAgeSeconds: number): void {
  setCookie(c, SESSION_COOKIE, token, {
    prefix: "host",
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/",
    maxAge: Math.max(1, Math.floor(maxAgeSeconds)),
  });
}

export function clearSessionCookie(c: AppContext): void {
  deleteCookie(c, SESSION_COOKIE, { prefix: "host", secure: true, path: "/" });
}

interface IssuedSession {
  token: string;
  expiresIn: number;
  sessionId: string;
  deviceToken?: string;
}

/**
 * The sign-in answer's session part. Bearer mode: `session_token` (the caller adds any
 * `device_token`). Cookie mode: the session and device cookies are set and the body carries
 * `csrf_token` instead of any token.
 */
export async function sessionAnswer(
  c: AppContext,
  session: IssuedSession,
): Promise<
  | { session_token: string; token_type: "Bearer"; expires_in: number }
  | { token_type: "Cookie"; csrf_token: string; expires_in: number }
> {
  if (!wantsCookie(c)) return { session_token: session.token, token_type: "Bearer", expires_in: session.expiresIn };
  setSessionCookie(c, session.token, session.expiresIn);
  if (session.deviceToken) {
    setCookie(c, DEVICE_COOKIE, session.deviceToken, {
      prefix: "host",
      httpOnly: true,
      secure: true,
      sameSite: "Strict",
      path: "/",
      maxAge: DEVICE_TOKEN_TTL_SECONDS,
    });
  }
  return {
    token_type: "Cookie",
    csrf_token: await csrfToken(c.env.SESSION_SIGNING_KEYS, session.sessionId),
    expires_in: session.expiresIn,
  };
}
