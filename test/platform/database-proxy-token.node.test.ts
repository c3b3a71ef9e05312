// The Worker's side of the WebSocket proxy's admission (docs/security.md, "WebSocket proxy"):
// each client gets its own wsProxy hook carrying a token the proxy's own check accepts for that
// target only. The end-to-end path (workerd → proxy → Postgres) is every workers test.
import { randomBytes } from "node:crypto";
import { Client } from "@neondatabase/serverless";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { proxyTokenKey, tokenAdmits } from "../../services/ws-proxy/admission.ts";
import { withProxyToken } from "../../worker/platform/database.ts";
import { signProxyToken } from "../../worker/platform/database-proxy-token.ts";

const keyText = randomBytes(32).toString("base64url");
const env = { DB_WS_PROXY_URL: "wss://db-ws.example/v2", DB_PROXY_TOKEN_KEY: keyText };
const url = "postgres://sb_api@db.proxy-abc.us-east-1.rds.amazonaws.com/securebase";
const target = "db.proxy-abc.us-east-1.rds.amazonaws.com:5432";

describe("proxy tokens the Worker signs", () => {
  it("puts a 60 s token for the client's own target in that client's proxy URL, which the proxy admits", async () => {
    const client = await withProxyToken(new Client({ connectionString: url }), env, url);
    const wsProxy = client.neonConfig.wsProxy as (host: string, port: number | string) => string;
    const built = new URL(`wss://${wsProxy("db.proxy-abc.us-east-1.rds.amazonaws.com", 5432)}`);
    expect(`${built.host}${built.pathname}`).toBe("db-ws.example/v2");
    expect(built.searchParams.get("address")).toBe(target);
    const token = built.searchParams.get("token") ?? "";
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ aud: "ws-proxy", addr: target });
    expect(claims.exp! - claims.iat!).toBe(60);

    const key = proxyTokenKey(keyText);
    expect(await tokenAdmits(token, key, target)).toBe(true);
    expect(await tokenAdmits(token, key, "db.other:5432")).toBe(false);
    expect(await tokenAdmits(token, proxyTokenKey(randomBytes(32).toString("base64url")), target)).toBe(false);
  });

  it("refuses to sign with a missing or short key", async () => {
    await expect(signProxyToken({ DB_PROXY_TOKEN_KEY: "" }, target)).rejects.toThrow(/DB_PROXY_TOKEN_KEY/);
    await expect(signProxyToken({ DB_PROXY_TOKEN_KEY: randomBytes(16).toString("base64url") }, target)).rejects.toThrow(
      /at least 32 bytes/,
    );
  });
});
