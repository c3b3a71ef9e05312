// A typed client for the SecureBase Edge API in a few lines: openapi-fetch over the types that
// `npm run generate:client` derives from /openapi.json. Paths, parameters, bodies and responses
// are all checked by TypeScript; method names in other SDK generators come from operationIds.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.d.ts";

export type { components, paths };
export type Invoice = components["schemas"]["Invoice"];

export function createSecureBaseClient(options: {
  baseUrl: string;
  token: string;
  fetch?: (request: Request) => Promise<Response>;
}) {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: { authorization: `Bearer ${options.token}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
export type SecureBaseClient = ReturnType<typeof createSecureBaseClient>;

/** Every invoice of the caller, following the cursor from page to page. */
export async function allInvoices(client: SecureBaseClient, pageSize = 100): Promise<Invoice[]> {
  const invoices: Invoice[] = [];
  let cursor: string | undefined;
  for (;;) {
    const { data, error } = await client.GET("/v1/invoices", {
      params: { query: { limit: pageSize, ...(cursor ? { starting_after: cursor } : {}) } },
    });
    if (error) throw new Error(`${error.title}: ${error.detail}`);
    invoices.push(...data.data);
    if (!data.has_more || !data.next_cursor) return invoices;
    cursor = data.next_cursor;
  }
}

/** Methods a browser session must prove with X-CSRF-Token (docs/auth.md, "Browser sessions"). */
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The portal's client: same origin, the session in the `__Host-sb_session` cookie (never readable
 * by script), and the session's CSRF token on every unsafe request. `csrfToken` is read per
 * request, so a sign-in or GET /v1/me can set it after the client is made.
 */
export function createBrowserClient(options: { baseUrl?: string; csrfToken: () => string | null }) {
  // fetch sends same-origin cookies by default: the session cookie rides along, never cross-site.
  const client = createClient<paths>({ baseUrl: options.baseUrl ?? "" });
  client.use({
    onRequest({ request }) {
      const token = options.csrfToken();
      if (token && UNSAFE_METHODS.has(request.method)) request.headers.set("X-CSRF-Token", token);
      return request;
    },
  });
  return client;
}
export type BrowserClient = ReturnType<typeof createBrowserClient>;
export type Problem = components["schemas"]["Problem"];
