// SES bounces and complaints over Amazon SNS (docs/email-suppressions.md): the SNS signature is
// the only credential (certificate fetched from SNS's own host alone; in tests the sink on
// 127.0.0.1 stands in for it), only the configured topic is heard, each MessageId applies once,
// a permanent bounce or a complaint marks the address, and the sender then skips it ('suppressed').
// Staff list and remove suppressions.
import { beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import type { Env } from "../../worker/env.ts";
import { snsUrl } from "../../worker/email/sns-signature.ts";
import { as } from "../helpers/database.ts";
import { call, expectProblem, type Schemas } from "../helpers/http.ts";
import { createUser, randomIp, staffToken, userToken, type TestUser } from "../helpers/identity.ts";
import { sentEmails, sinkUrl } from "../helpers/sink.ts";
import {
  bounceEvent,
  complaintEvent,
  deliver,
  fetchesOf,
  hostFile,
  snsSigner,
  uniqueName,
  type SnsSigner,
} from "../helpers/sns.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

type Receipt = Schemas["SesNotificationReceipt"];

let signer: SnsSigner;
let tenant: TestTenant;
let staff: { token: string; user: TestUser };

beforeAll(async () => {
  signer = await snsSigner();
  tenant = await createTenant();
  staff = await staffToken();
});

const post = (message: unknown) => deliver(call, message);
const admin = <T>(sql: string, values: unknown[] = []) =>
  as("admin", async (client) => (await client.query(sql, values)).rows as T[]);
const suppression = async (address: string) =>
  (
    await admin<{ reason: string; source_message_id: string }>(
      "SELECT reason, source_message_id FROM email_suppressions WHERE address = $1",
      [address.toLowerCase()],
    )
  )[0];
const recorded = async (messageId: string) =>
  (
    await admin<{ n: number }>("SELECT count(*)::int AS n FROM ses_notifications WHERE message_id = $1", [messageId])
  )[0]!.n;

/** Asks for a password reset email to the user, as anyone can. */
const requestReset = (email: string) =>
  call("/v1/auth/password-resets", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
    body: JSON.stringify({ email }),
  });
const emailRows = (customerId: string, address: string) =>
  admin<{ status: string; last_error: string | null; attempts: number }>(
    "SELECT status, last_error, attempts FROM email_messages WHERE customer_id = $1 AND to_address = $2 ORDER BY id",
    [customerId, address],
  );
const sinkCount = async (address: string) =>
  (await sentEmails()).filter((e) => e.body.Destination.ToAddresses.includes(address)).length;

describe("SubscriptionConfirmation", () => {
  it("is confirmed by a GET of its SubscribeURL, with the token SNS gave", async () => {
    const receiver = uniqueName("confirm");
    await hostFile(receiver, "<ConfirmSubscriptionResponse/>");
    const token = `tok-${crypto.randomUUID()}`;
    const message = await signer.message("SubscriptionConfirmation", {
      Message: "You have chosen to subscribe to the topic.",
      Token: token,
      SubscribeURL: `${sinkUrl()}/files/${receiver}?Action=ConfirmSubscription&Token=${token}`,
    });
    const response = await post(message);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json<Receipt>()).toMatchObject({ type: "SubscriptionConfirmation", confirmed: true });
    const seen = await fetchesOf(receiver);
    expect(seen.count).toBe(1);
    expect(seen.queries[0]).toContain(`Token=${token}`);
  });

  it("is refused when its SubscribeURL is not an SNS host, and nothing is fetched", async () => {
    const receiver = uniqueName("confirm-elsewhere");
    await hostFile(receiver, "ok");
    const message = await signer.message("SubscriptionConfirmation", {
      Message: "subscribe",
      Token: "t",
      SubscribeURL: `${sinkUrl().replace("127.0.0.1", "localhost")}/files/${receiver}?Action=ConfirmSubscription`,
    });
    await expectProblem(await post(message), {
      status: 400,
      type: "invalid-subscribe-url",
      field: "body.SubscribeURL",
    });
    expect((await fetchesOf(receiver)).count).toBe(0);
  });
});

describe("Notification: bounces and complaints", () => {
  it("a permanent bounce marks the address; the next email to it is not sent and shows suppressed", async () => {
    const user = await createUser(tenant.customerId, { role: "developer" });
    const other = await createUser(tenant.customerId, { role: "developer" });
    // SES may report the address in another case than we store it: suppressions are lowercased.
    const message = await signer.message("Notification", {
      Message: bounceEvent("Permanent", [user.email.toUpperCase()]),
    });
    const response = await post(message);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json<Receipt>()).toMatchObject({ type: "Notification", duplicate: false, marked: 1 });
    expect(await suppression(user.email)).toEqual({ reason: "bounce", source_message_id: message.MessageId });

    expect((await requestReset(user.email)).status).toBe(202);
    expect((await requestReset(other.email)).status).toBe(202);
    // The other user's email reaching the sink shows the sender ran past both.
    await eventually(async () => expect(await sinkCount(other.email)).toBe(1));
    await eventually(async () =>
      expect(await emailRows(tenant.customerId, user.email)).toEqual([
        { status: "suppressed", last_error: "address suppressed (bounce)", attempts: 1 },
      ]),
    );
    expect(await sinkCount(user.email)).toBe(0);

    // Staff see it where they see the outbox: GET /v1/admin/status.
    const status = await call("/v1/admin/status", { token: staff.token });
    const body = await status.json<Schemas["PlatformStatus"]>();
    expect(body.emails.suppressed_last_24h).toBeGreaterThanOrEqual(1);
    expect(body.emails.suppressed_addresses).toBeGreaterThanOrEqual(1);
  });

  it("a complaint marks the complaining address (SignatureVersion 1, SHA1withRSA)", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const message = await signer.message("Notification", { Message: complaintEvent([user.email]) }, "1");
    const response = await post(message);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json<Receipt>()).toMatchObject({ marked: 1 });
    expect(await suppression(user.email)).toEqual({ reason: "complaint", source_message_id: message.MessageId });
  });

  it("a transient bounce marks nobody, and email to the address still goes out", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const message = await signer.message("Notification", { Message: bounceEvent("Transient", [user.email]) });
    const response = await post(message);
    expect(response.status).toBe(200);
    expect(await response.json<Receipt>()).toMatchObject({ duplicate: false, marked: 0 });
    expect(await suppression(user.email)).toBeUndefined();
    expect(await recorded(message.MessageId)).toBe(1);
    expect((await requestReset(user.email)).status).toBe(202);
    await eventually(async () => expect(await sinkCount(user.email)).toBe(1));
  });

  it("a replayed MessageId is applied once: removed by staff, it stays removed", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const message = await signer.message("Notification", { Message: bounceEvent("Permanent", [user.email]) });
    expect(await (await post(message)).json<Receipt>()).toMatchObject({ duplicate: false, marked: 1 });
    const removed = await call(`/v1/admin/email-suppressions/${encodeURIComponent(user.email)}`, {
      method: "DELETE",
      token: staff.token,
    });
    expect(removed.status).toBe(200);
    const replay = await post(message);
    expect(replay.status).toBe(200);
    expect(await replay.json<Receipt>()).toMatchObject({ duplicate: true, marked: 0 });
    expect(await suppression(user.email)).toBeUndefined();
    expect(await recorded(message.MessageId)).toBe(1);
  });
});

describe("refused messages write nothing", () => {
  it("a bad signature is a 403", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const message = await signer.message("Notification", { Message: bounceEvent("Permanent", [user.email]) });
    // Signed for another recipient, then changed: the signature no longer covers the Message.
    const tampered = { ...message, Message: bounceEvent("Permanent", [`x${user.email}`]) };
    await expectProblem(await post(tampered), { status: 403, type: "invalid-signature" });
    const garbage = { ...message, Signature: btoa("not a signature") };
    await expectProblem(await post(garbage), { status: 403, type: "invalid-signature" });
    expect(await recorded(message.MessageId)).toBe(0);
    expect(await suppression(user.email)).toBeUndefined();
    expect(await suppression(`x${user.email}`)).toBeUndefined();
  });

  it("a certificate URL on another host is refused without fetching it", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const elsewhere = `${uniqueName("elsewhere")}.pem`;
    await hostFile(elsewhere, "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
    const url = `${sinkUrl().replace("127.0.0.1", "localhost")}/files/${elsewhere}`;
    const message = await signer.message("Notification", {
      Message: bounceEvent("Permanent", [user.email]),
      SigningCertURL: url,
    });
    await expectProblem(await post(message), {
      status: 400,
      type: "invalid-signing-cert-url",
      field: "body.SigningCertURL",
    });
    expect((await fetchesOf(elsewhere)).count).toBe(0);
    expect(await recorded(message.MessageId)).toBe(0);
    expect(await suppression(user.email)).toBeUndefined();
  });

  it("only https://sns.<region>.amazonaws.com/….pem passes the URL check outside the test origins", () => {
    const production = { ...env, ENVIRONMENT: "production" } as Env;
    const pem = (url: string) => snsUrl(production, url, { pem: true })?.href ?? null;
    expect(pem("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem")).not.toBeNull();
    expect(pem("https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-abc.pem")).not.toBeNull();
    for (const bad of [
      "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
      "https://sns.us-east-1.amazonaws.com.evil.test/x.pem",
      "https://evil.test/sns.us-east-1.amazonaws.com/x.pem",
      "https://sns.us-east-1.amazonaws.com:8443/x.pem",
      "https://user:pw@sns.us-east-1.amazonaws.com/x.pem",
      "https://sns.us-east-1.amazonaws.com/x.pem.txt",
      "https://xsns.us-east-1.amazonaws.com/x.pem",
      "https://sns..amazonaws.com/x.pem",
      // The test origin is honoured only in ENVIRONMENT=test.
      signer.certUrl,
      "not a url",
    ])
      expect(pem(bad), bad).toBeNull();
    // In the test environment the sink is an allowed origin.
    expect(snsUrl(env as Env, signer.certUrl, { pem: true })).not.toBeNull();
  });

  it("a message of another topic is refused (403), even when correctly signed", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const message = await signer.message("Notification", {
      Message: bounceEvent("Permanent", [user.email]),
      TopicArn: "arn:aws:sns:us-east-1:999999999999:someone-elses-topic",
    });
    await expectProblem(await post(message), { status: 403, type: "unknown-topic" });
    expect(await recorded(message.MessageId)).toBe(0);
    expect(await suppression(user.email)).toBeUndefined();
  });

  it("a malformed body is a 400 naming the field", async () => {
    await expectProblem(await post("{"), { status: 400, type: "validation-error", field: "body" });
    const message = await signer.message("Notification", { Message: "{}" });
    await expectProblem(await post({ ...message, SignatureVersion: "3" }), {
      status: 400,
      type: "validation-error",
      field: "body.SignatureVersion",
    });
  });
});

describe("staff: GET and DELETE /v1/admin/email-suppressions", () => {
  it("lists a suppressed address and removes it (audited); email to it is sent again", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const message = await signer.message("Notification", { Message: bounceEvent("Permanent", [user.email]) });
    expect((await post(message)).status).toBe(200);

    const list = await call(`/v1/admin/email-suppressions?address=${encodeURIComponent(user.email)}`, {
      token: staff.token,
    });
    expect(list.status).toBe(200);
    const page = await list.json<Schemas["EmailSuppressionList"]>();
    expect(page.data).toEqual([
      expect.objectContaining({
        object: "email_suppression",
        address: user.email,
        reason: "bounce",
        source_message_id: message.MessageId,
      }),
    ]);

    const removed = await call(`/v1/admin/email-suppressions/${encodeURIComponent(user.email)}`, {
      method: "DELETE",
      token: staff.token,
    });
    expect(removed.status).toBe(200);
    expect(await suppression(user.email)).toBeUndefined();
    const audit = await admin<{ actor_id: string; customer_id: string }>(
      "SELECT actor_id, customer_id FROM audit_events WHERE action = 'email_suppression.removed' AND resource_id = $1",
      [user.email],
    );
    expect(audit).toEqual([{ actor_id: staff.user.id, customer_id: staff.user.customerId }]);
    await expectProblem(
      await call(`/v1/admin/email-suppressions/${encodeURIComponent(user.email)}`, {
        method: "DELETE",
        token: staff.token,
      }),
      { status: 404 },
    );

    expect((await requestReset(user.email)).status).toBe(202);
    await eventually(async () => expect(await sinkCount(user.email)).toBe(1));
  });

  it("is for staff only: a customer admin is refused", async () => {
    const { token } = await userToken(tenant.customerId, "admin");
    expect((await call("/v1/admin/email-suppressions", { token })).status).toBe(403);
    expect((await call("/v1/admin/email-suppressions/someone%40example.com", { method: "DELETE", token })).status).toBe(
      403,
    );
  });
});
