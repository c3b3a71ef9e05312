// Links in email point at the portal page for the thing (docs/portal.md, "Links in email"):
// PORTAL_URL, or — when it is empty — the Worker's own origin, which serves the portal.

/** The portal's base URL without a trailing slash. */
export function portalBase(env: { PORTAL_URL?: string; PUBLIC_API_URL: string }): string {
  return (env.PORTAL_URL || env.PUBLIC_API_URL).replace(/\/+$/, "");
}

/** Absolute URL of a portal page; `path` starts with "/" (e.g. "/invoices/in_…"). */
export function portalLink(env: { PORTAL_URL?: string; PUBLIC_API_URL: string }, path: string): string {
  return `${portalBase(env)}${path.startsWith("/") ? path : `/${path}`}`;
}
