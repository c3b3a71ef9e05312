// Invites in tests: calls, a fresh invite, and its token as the invite email carries it (the API
// returns the token to nobody: docs/auth.md, "Permissions").
import { expect } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asOwner } from "./database.ts";
import type { Schemas } from "./http.ts";
import { randomIp } from "./identity.ts";
import { emailedInviteToken } from "./sink.ts";
import { call } from "./tenants.ts";

export type InviteBody = Schemas["Invite"];
export type AcceptBody = Schemas["AcceptedInvite"];

let counter = 0;
export const uniqueEmail = (tag = "invitee") =>
  `${tag}-${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
export const PASSWORD = "a perfectly long passphrase";

export const jsonBody = (body: unknown, token?: string, headers: Record<string, string> = {}) => ({
  method: "POST",
  token,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
export const invite = (body: unknown, token?: string) => call("/v1/invites", jsonBody(body, token));
export const accept = (body: unknown) =>
  call("/v1/invites/accept", jsonBody(body, undefined, { "cf-connecting-ip": randomIp() }));
export const revoke = (id: string, token?: string) => call(`/v1/invites/${id}`, { method: "DELETE", token });

export async function newInvite(token: string, role = "developer", email = uniqueEmail()): Promise<InviteBody> {
  const response = await invite({ email, role }, token);
  expect(response.status).toBe(201);
  return response.json();
}
/** The invite's token, as its email carries it. */
export const tokenOf = (sent: InviteBody) => emailedInviteToken(sent.email);

export const owner = <T>(customerId: string, sql: string, values: unknown[]) =>
  asOwner((client) => asCustomer(client, customerId, async () => (await client.query(sql, values)).rows as T[]));

export const sha256hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");

export async function expireInvite(customerId: string, id: string) {
  await owner(
    customerId,
    "UPDATE user_invites SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day' WHERE id = $1",
    [id],
  );
}
