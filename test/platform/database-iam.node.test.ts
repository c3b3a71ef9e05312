// RDS Proxy IAM auth tokens (worker/platform/database-iam.ts), in Node so that AWS's own signer
// (@aws-sdk/rds-signer, a devDependency) can check them: same credentials, same clock, same
// token. No network: a token is a local signature. Also: tokens are reused for 10 minutes and
// then renewed, and with IAM auth on the driver gets the token, never the URL's password.
import { Signer } from "@aws-sdk/rds-signer";
import { Client, neonConfig } from "@neondatabase/serverless";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  cachedRdsAuthToken,
  iamAuthConfig,
  rdsAuthToken,
  TOKEN_RENEW_AFTER_MS,
  withIamToken,
} from "../../worker/platform/database-iam.ts";
import { configureDriver, driverConnectionString } from "../../worker/platform/database.ts";

// AWS's documentation example key pair: not a real credential.
const config = {
  region: "us-east-1",
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const host = "securebase-prod-rds-proxy.proxy-c0ffee123456.us-east-1.rds.amazonaws.com";
const signedAt = new Date("2026-11-23T16:53:07.000Z");

async function awsSdkToken(user: string, at: Date, port = 5432): Promise<string> {
  vi.useFakeTimers({ toFake: ["Date"], now: at });
  try {
    const signer = new Signer({
      hostname: host,
      port,
      username: user,
      region: config.region,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    });
    return await signer.getAuthToken();
  } finally {
    vi.useRealTimers();
  }
}

function parts(token: string) {
  const url = new URL(`https://${token}`);
  return { origin: url.host, path: url.pathname, query: Object.fromEntries(url.searchParams) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("RDS IAM auth token", () => {
  it.each(["sb_api", "sb_jobs", "sb_analytics"])(
    "for %s is the token AWS's own signer makes (same key, same clock)",
    async (user) => {
      const ours = await rdsAuthToken({ host, port: 5432, user }, config, signedAt);
      const aws = await awsSdkToken(user, signedAt);
      expect(parts(ours)).toEqual(parts(aws));
      expect(parts(ours).query["X-Amz-Signature"]).toMatch(/^[0-9a-f]{64}$/);
    },
  );

  it("matches on another port and at another time too, and the signature depends on both", async () => {
    const later = new Date(signedAt.getTime() + 86_400_000 + 1000);
    const ours = await rdsAuthToken({ host, port: 6432, user: "sb_api" }, config, later);
    expect(parts(ours)).toEqual(parts(await awsSdkToken("sb_api", later, 6432)));
    const first = await rdsAuthToken({ host, port: 5432, user: "sb_api" }, config, signedAt);
    expect(parts(ours).query["X-Amz-Signature"]).not.toBe(parts(first).query["X-Amz-Signature"]);
  });

  it("is a presigned connect request for one user on one proxy, valid 900 seconds", async () => {
    const token = await rdsAuthToken({ host, port: 5432, user: "sb_jobs" }, config, signedAt);
    expect(token.startsWith(`${host}:5432/?`)).toBe(true);
    expect(token).not.toContain("https://");
    const { query } = parts(token);
    expect(query).toMatchObject({
      Action: "connect",
      DBUser: "sb_jobs",
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": "AKIDEXAMPLE/20261123/us-east-1/rds-db/aws4_request",
      "X-Amz-Date": "20261123T165307Z",
      "X-Amz-Expires": "900",
      "X-Amz-SignedHeaders": "host",
    });
    expect(token).not.toContain(config.secretAccessKey);
  });
});

describe("token cache (per isolate)", () => {
  const login = { host, port: 5432, user: "sb_analytics" };
  const t0 = Date.parse("2026-11-23T17:00:00.000Z");

  it("reuses a token for 10 minutes, then signs a new one", async () => {
    const first = await cachedRdsAuthToken(login, config, t0);
    expect(await cachedRdsAuthToken(login, config, t0 + 60_000)).toBe(first);
    expect(await cachedRdsAuthToken(login, config, t0 + TOKEN_RENEW_AFTER_MS - 1)).toBe(first);
    const renewed = await cachedRdsAuthToken(login, config, t0 + TOKEN_RENEW_AFTER_MS);
    expect(renewed).not.toBe(first);
    expect(parts(renewed).query["X-Amz-Date"]).toBe("20261123T171000Z");
    expect(renewed).toBe(await rdsAuthToken(login, config, new Date(t0 + TOKEN_RENEW_AFTER_MS)));
    expect(await cachedRdsAuthToken(login, config, t0 + TOKEN_RENEW_AFTER_MS + 60_000)).toBe(renewed);
  });

  it("keeps one token per user, host, port and key", async () => {
    const api = await cachedRdsAuthToken({ ...login, user: "sb_api" }, config, t0);
    const jobs = await cachedRdsAuthToken({ ...login, user: "sb_jobs" }, config, t0 + 1000);
    expect(parts(api).query.DBUser).toBe("sb_api");
    expect(parts(jobs).query.DBUser).toBe("sb_jobs");
    const otherKey = await cachedRdsAuthToken(
      { ...login, user: "sb_api" },
      { ...config, accessKeyId: "AKIDOTHER" },
      t0 + 2000,
    );
    expect(parts(otherKey).query["X-Amz-Credential"]).toMatch(/^AKIDOTHER\//);
    expect(await cachedRdsAuthToken({ ...login, user: "sb_api" }, config, t0 + 3000)).toBe(api);
  });
});

describe("what the driver is given", () => {
  const iamEnv = {
    DB_IAM_AUTH_REGION: "us-east-1",
    DB_IAM_ACCESS_KEY_ID: config.accessKeyId,
    DB_IAM_SECRET_ACCESS_KEY: config.secretAccessKey,
  };
  const url = `postgres://sb_api:the-role-password@${host}:5432/securebase`;

  it("with IAM auth: the token as the password, never the URL's password; the rest unchanged", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: signedAt });
    const connectionString = await driverConnectionString(iamEnv, url);
    const token = await rdsAuthToken({ host, port: 5432, user: "sb_api" }, config, signedAt);
    expect(connectionString).not.toContain("the-role-password");
    // The driver's own parsing of the string yields exactly the token.
    const client = new Client(connectionString);
    expect(client.password).toBe(token);
    expect(client.user).toBe("sb_api");
    expect(client.host).toBe(host);
    expect(client.port).toBe(5432);
    expect(client.database).toBe("securebase");
  });

  it("with IAM auth and a URL without a password (as docs/deploy.md stores it): the token, default port 5432", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: signedAt });
    const connectionString = await driverConnectionString(iamEnv, `postgres://sb_jobs@${host}/securebase`);
    expect(new Client(connectionString).password).toBe(
      await rdsAuthToken({ host, port: 5432, user: "sb_jobs" }, config, signedAt),
    );
    expect(await withIamToken(`postgres://sb_jobs@${host}/securebase`, config, signedAt.getTime())).toBe(
      connectionString,
    );
  });

  it("without IAM auth (local dev, tests): the URL as it is", async () => {
    expect(await driverConnectionString({ DB_IAM_AUTH_REGION: "" }, url)).toBe(url);
    expect(await driverConnectionString({}, url)).toBe(url);
    expect(iamAuthConfig({})).toBeUndefined();
  });

  it("IAM auth without its key is a configuration error, not a silent fallback to the password", async () => {
    await expect(
      driverConnectionString({ DB_IAM_AUTH_REGION: "us-east-1", DB_IAM_ACCESS_KEY_ID: "AKIDEXAMPLE" }, url),
    ).rejects.toThrow(/DB_IAM_SECRET_ACCESS_KEY/);
  });

  it("IAM auth pipelines start-up even where DB_PIPELINE_CONNECT is false; without it the flag decides", () => {
    configureDriver({
      DB_WS_PROXY_URL: "wss://db-ws.example/v2",
      DB_PIPELINE_CONNECT: "false",
      DB_IAM_AUTH_REGION: "us-east-1",
    });
    expect(neonConfig.pipelineConnect).toBe("password");
    configureDriver({ DB_WS_PROXY_URL: "wss://db-ws.example/v2", DB_PIPELINE_CONNECT: "false" });
    expect(neonConfig.pipelineConnect).toBe(false);
    configureDriver({ DB_WS_PROXY_URL: "wss://db-ws.example/v2", DB_PIPELINE_CONNECT: "password" });
    expect(neonConfig.pipelineConnect).toBe("password");
  });
});
