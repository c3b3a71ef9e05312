// Interactive docs at /docs (and /docs/): Swagger UI served from this origin as static assets
// (public/docs/assets, the version pinned in package-lock.json), never from a CDN — the page is
// where people paste bearer credentials, so it runs no third-party script, and it works offline.
// The Content-Security-Policy allows scripts and styles from this origin only (Swagger UI sets
// inline style attributes, hence 'unsafe-inline' for styles, not for scripts).
import { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>SecureBase Edge API — docs</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <script src="/docs/assets/swagger-ui-bundle.js" defer></script>
  <script src="/docs/assets/init.js" defer></script>
</head>
<body>
  <div id="swagger-ui"><noscript>The interactive docs need JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript></div>
</body>
</html>
`;

export const docsRoutes = new Hono<AppEnv>()
  .get("/docs", () => page())
  .get("/docs/", () => page())
  // In production the asset router answers these before the Worker runs; this covers local
  // tools that call the Worker directly.
  .get("/docs/assets/*", (c) => c.env.ASSETS.fetch(c.req.raw));

function page(): Response {
  return new Response(PAGE, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "public, max-age=300",
    },
  });
}
