// Purpose tokens open one sign-in step each: a token of one purpose is refused for another and
// as a bearer credential, and a single-use token is accepted once across connections.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { issuePurposeToken, verifyPurposeToken } from "../../worker/auth/purpose-token.ts";
import { as } from "../helpers/database.ts";
import { call } from "../helpers/tenants.ts";

const keys = () => env.SESSION_SIGNING_KEYS;

describe("purpose tokens", () => {
  it("verify for their own purpose and subject only", async () => {
    const { token } = await issuePurposeToken(keys(), "mfa", "user-1", { cid: "c-1" }, 300);
    const claims = await verifyPurposeToken(keys(), "mfa", token);
    expect(claims).toMatchObject({ sub: "user-1", cid: "c-1", typ: "mfa" });
    expect(await verifyPurposeToken(keys(), "mfa_enrollment", token)).toBeUndefined();
    expect(await verifyPurposeToken(keys(), "known_device", token)).toBeUndefined();
    expect(await verifyPurposeToken(keys(), "mfa", `${token.slice(0, -2)}xx`)).toBeUndefined();
  });

  it("are refused once expired", async () => {
    const { token } = await issuePurposeToken(keys(), "webauthn", "anonymous", {}, 60, Date.now() - 120_000);
    expect(await verifyPurposeToken(keys(), "webauthn", token)).toBeUndefined();
  });

  it("are never a bearer credential", async () => {
    const { token } = await issuePurposeToken(keys(), "mfa", crypto.randomUUID(), {}, 300);
    const res = await call("/v1/me", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
  });

  it("are used once: a second use, from another connection, is refused", async () => {
    const jti = crypto.randomUUID();
    const use = () =>
      as("api", async (client) => {
        const { rows } = await client.query(
          "SELECT app.use_token_once($1::uuid, 'mfa', now() + interval '5 minutes') AS fresh",
          [jti],
        );
        return rows[0]?.fresh as boolean;
      });
    expect(await use()).toBe(true);
    expect(await use()).toBe(false);
  });

  it("an already expired token cannot be marked used", async () => {
    const fresh = await as("api", async (client) => {
      const { rows } = await client.query(
        "SELECT app.use_token_once($1::uuid, 'mfa', now() - interval '1 second') AS fresh",
        [crypto.randomUUID()],
      );
      return rows[0]?.fresh as boolean;
    });
    expect(fresh).toBe(false);
  });

  it("the API role cannot read or write the used-token list directly", async () => {
    await expect(as("api", (client) => client.query("SELECT * FROM used_tokens"))).rejects.toThrow(/permission denied/);
  });
});
