// Who the WebSocket proxy lets in (services/ws-proxy/admission.ts, docs/security.md): only a
// client with a fresh token signed by the Worker's key for the target it asks for; every refusal
// is byte for byte the answer to an unknown path; concurrent connections are capped per source
// and in total. Real pieces: the test run's Postgres, the proxy, the neon driver, raw sockets.
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { Client } from "@neondatabase/serverless";
import { SignJWT } from "jose";
import type * as WsTypes from "ws";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { proxyTokenKey } from "../../services/ws-proxy/admission.ts";
import { startWsProxy, type WsProxy, type WsProxyOptions } from "../../services/ws-proxy/proxy.ts";
import { signProxyToken } from "../../worker/platform/database-proxy-token.ts";

const { WebSocket } = createRequire(import.meta.url)("ws") as typeof WsTypes;

const keyText = randomBytes(32).toString("base64url");
const key = proxyTokenKey(keyText);
const owner = new URL(inject("ownerUrl"));
const target = `${owner.hostname}:${owner.port}`;
// The test database is a closed template (test/global-setup.ts); the owner may use `postgres`.
const connectionString = Object.assign(new URL(owner), { pathname: "/postgres" }).toString();
const proxies: WsProxy[] = [];

async function proxy(options: Partial<WsProxyOptions> = {}): Promise<WsProxy> {
  const started = await startWsProxy({ allow: [target], tokenKey: key, ...options });
  proxies.push(started);
  return started;
}

afterAll(async () => {
  await Promise.all(proxies.map((started) => started.close()));
});

/** A token as the proxy expects it, with `change` applied (for the refused variants). */
async function token(
  change: { aud?: string; addr?: string; iat?: number; exp?: number; key?: Uint8Array } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ addr: change.addr ?? target })
    .setProtectedHeader({ alg: "HS256" })
    .setAudience(change.aud ?? "ws-proxy")
    .setIssuedAt(change.iat ?? now)
    .setExpirationTime(change.exp ?? now + 60)
    .sign(change.key ?? key);
}

/** The raw answer (status line, headers, body) to a WebSocket upgrade request for `path`. */
function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let answer = "";
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
      if (answer.startsWith("HTTP/1.1 101")) socket.destroy(); // upgraded: not a refusal
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n${extra.join("")}\r\n`,
    );
  });
}

/** Opens a WebSocket through the proxy; resolves with it once upgraded, or with the refusal status. */
function open(port: number, query: string, headers: Record<string, string> = {}) {
  return new Promise<{ socket?: WsTypes.WebSocket; status: number }>((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v2?${query}`, { headers });
    socket.on("open", () => resolve({ socket, status: 101 }));
    socket.on("unexpected-response", (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    socket.on("error", () => resolve({ status: -1 }));
  });
}

describe("ws-proxy admission: a token signed with the Worker's key, for the target asked for", () => {
  let through: WsProxy;
  beforeAll(async () => {
    through = await proxy();
  });

  it("refuses a missing, forged, expired, long-lived, other-audience or other-target token exactly like an unknown path", async () => {
    const now = Math.floor(Date.now() / 1000);
    const unknownPath = await rawUpgrade(through.port, `/nothing-here?address=${target}&token=${await token()}`);
    expect(unknownPath).toMatch(/^HTTP\/1\.1 404 /);
    const refused: Record<string, string> = {
      none: "",
      garbage: "not-a-jwt",
      forged: await token({ key: randomBytes(32) }),
      expired: await token({ iat: now - 120, exp: now - 60 }),
      "issued long ago": await token({ iat: now - 600, exp: now + 30 }),
      "valid for an hour": await token({ exp: now + 3600 }),
      "other audience": await token({ aud: "api" }),
      "other target": await token({ addr: "169.254.169.254:80" }),
    };
    for (const [name, value] of Object.entries(refused)) {
      const answer = await rawUpgrade(through.port, `/v2?address=${target}${value ? `&token=${value}` : ""}`);
      expect({ name, answer }).toEqual({ name, answer: unknownPath });
    }
    // A target that is not allowed, even with a token made for it, answers the same.
    const elsewhere = "127.0.0.1:1";
    const answer = await rawUpgrade(through.port, `/v2?address=${elsewhere}&token=${await token({ addr: elsewhere })}`);
    expect(answer).toBe(unknownPath);
  });

  it("upgrades a client with the Worker's token and reaches Postgres through it", async () => {
    const upgraded = await rawUpgrade(through.port, `/v2?address=${target}&token=${await token()}`);
    expect(upgraded).toMatch(/^HTTP\/1\.1 101 /);

    const workerToken = await signProxyToken({ DB_PROXY_TOKEN_KEY: keyText }, target);
    const client = new Client({ connectionString });
    client.neonConfig.wsProxy = (host, port) =>
      `127.0.0.1:${through.port}/v2?address=${host}:${port}&token=${workerToken}`;
    client.neonConfig.useSecureWebSocket = false;
    client.neonConfig.pipelineConnect = false;
    client.neonConfig.webSocketConstructor = WebSocket as unknown as typeof globalThis.WebSocket;
    await client.connect();
    try {
      expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });
});

describe("ws-proxy connection limits", () => {
  it("refuses the connection after the per-source limit, before upgrading, and admits again once one closes", async () => {
    const limited = await proxy({ limits: { maxPerSource: 3 } });
    const query = `address=${target}&token=${await token()}`;
    const held = await Promise.all([1, 2, 3].map(() => open(limited.port, query)));
    expect(held.map((attempt) => attempt.status)).toEqual([101, 101, 101]);
    expect((await open(limited.port, query)).status).toBe(503);
    expect(limited.stats().open).toBe(3);

    held[0]!.socket!.close();
    await vi.waitFor(() => expect(limited.stats().open).toBe(2));
    const again = await open(limited.port, query);
    expect(again.status).toBe(101);
    for (const attempt of [...held, again]) attempt.socket?.close();
  });

  it("counts sources by the load balancer's X-Forwarded-For entry when told to, and caps the total", async () => {
    const limited = await proxy({ limits: { maxPerSource: 1, maxTotal: 2, trustForwardedFor: true } });
    const query = `address=${target}&token=${await token()}`;
    // The last entry is the address the ALB saw; an earlier one is whatever the client claimed.
    const from = (ip: string) => ({ "x-forwarded-for": `10.9.9.9, ${ip}` });
    const first = await open(limited.port, query, from("198.51.100.1"));
    expect(first.status).toBe(101);
    expect((await open(limited.port, query, from("198.51.100.1"))).status).toBe(503);
    const second = await open(limited.port, query, from("198.51.100.2"));
    expect(second.status).toBe(101);
    expect((await open(limited.port, query, from("198.51.100.3"))).status).toBe(503); // total of 2
    first.socket?.close();
    second.socket?.close();
  });
});
