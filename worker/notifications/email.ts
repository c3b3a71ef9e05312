// Email through the SES v2 HTTPS API (`SendEmail`), SigV4-signed with aws4fetch, to
// SES_ENDPOINT (a local sink in dev and tests). Each email_messages row is claimed with a
// 2-minute lease, rendered from its data (plus its sealed secret, decrypted only now), sent, and
// recorded; once sent — or given up — the sealed secret is erased, so no readable invite token
// stays at rest. Failures back off (1, 2, 4 … 60 min) for up to MAX_EMAIL_ATTEMPTS. An address SES
// reported undeliverable (email_suppressions, docs/email-suppressions.md) is not sent to: the row
// becomes 'suppressed', final, found by the same claim query (no extra round trip).
import { AwsClient } from "aws4fetch";
import { and, eq, getTableColumns, inArray, lte, sql } from "drizzle-orm";
import { emailMessages, emailSuppressions } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { withJobsDatabase } from "../platform/database.ts";
import { eventSecretsPlace } from "../events/outbox.ts";
import { open } from "../platform/encryption.ts";
import { portalBase } from "../platform/portal-links.ts";
import { notificationKind } from "./catalogue.ts";
import { safeError } from "../platform/log-safe.ts";

export const MAX_EMAIL_ATTEMPTS = 10;
const LEASE_SECONDS = 120;

type EmailRow = typeof emailMessages.$inferSelect;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const linkify = (html: string) => html.replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);

export async function renderEmail(env: Env, row: EmailRow): Promise<{ subject: string; text: string; html: string }> {
  const kind = notificationKind(row.eventType);
  if (!kind) throw new Error(`no email template for ${row.eventType}`);
  const secrets = row.secretCiphertext
    ? (JSON.parse(
        await open(
          env.DATA_ENCRYPTION_KEY,
          new TextDecoder().decode(row.secretCiphertext),
          eventSecretsPlace(row.customerId, row.eventId ?? ""),
        ),
      ) as Record<string, string>)
    : {};
  const { title, text } = kind.render(row.data, {
    apiUrl: env.PUBLIC_API_URL.replace(/\/$/, ""),
    portalUrl: portalBase(env),
    secrets,
  });
  const html = `<p>${linkify(escapeHtml(text)).replaceAll("\n", "<br>")}</p>`;
  return { subject: title, text, html };
}

export async function sendEmail(
  env: Env,
  to: string,
  message: { subject: string; text: string; html: string },
): Promise<string> {
  const client = new AwsClient({
    accessKeyId: env.SES_ACCESS_KEY_ID,
    secretAccessKey: env.SES_SECRET_ACCESS_KEY,
    service: "ses",
    region: env.SES_REGION,
  });
  const response = await client.fetch(`${env.SES_ENDPOINT.replace(/\/$/, "")}/v2/email/outbound-emails`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      FromEmailAddress: env.EMAIL_FROM,
      Destination: { ToAddresses: [to] },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: "UTF-8" },
          Body: { Text: { Data: message.text, Charset: "UTF-8" }, Html: { Data: message.html, Charset: "UTF-8" } },
        },
      },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`SES answered ${response.status}: ${body.slice(0, 200)}`);
  return (JSON.parse(body) as { MessageId?: string }).MessageId ?? "";
}

/** Sends the given (or all due) pending emails; returns how many were sent, failed and suppressed. */
export async function sendDueEmails(
  env: Env,
  ids?: string[],
  limit = 50,
): Promise<{ sent: number; failed: number; suppressed: number }> {
  const claimed = await withJobsDatabase(env, (db) =>
    db
      .update(emailMessages)
      .set({
        attempts: sql`${emailMessages.attempts} + 1`,
        nextAttemptAt: sql`now() + make_interval(secs => ${LEASE_SECONDS})`,
      })
      .where(
        and(
          eq(emailMessages.status, "pending"),
          lte(emailMessages.nextAttemptAt, sql`now()`),
          ids
            ? inArray(emailMessages.id, ids)
            : inArray(
                emailMessages.id,
                db
                  .select({ id: emailMessages.id })
                  .from(emailMessages)
                  .where(and(eq(emailMessages.status, "pending"), lte(emailMessages.nextAttemptAt, sql`now()`)))
                  .limit(limit),
              ),
        ),
      )
      .returning({
        ...getTableColumns(emailMessages),
        suppressedFor: sql<
          string | null
        >`(SELECT ${emailSuppressions.reason} FROM ${emailSuppressions} WHERE ${emailSuppressions.address} = lower(${emailMessages.toAddress}))`,
      }),
  );
  if (claimed.length === 0) return { sent: 0, failed: 0, suppressed: 0 };
  const outcomes = await Promise.all(
    claimed.map(async ({ suppressedFor, ...row }) => {
      if (suppressedFor) return { row, providerId: null, error: null, suppressedFor };
      try {
        const providerId = await sendEmail(env, row.toAddress, await renderEmail(env, row));
        return { row, providerId, error: null, suppressedFor: null };
      } catch (error) {
        return { row, providerId: null, error: safeError(error), suppressedFor: null };
      }
    }),
  );
  await withJobsDatabase(env, async (db) => {
    for (const { row, providerId, error, suppressedFor } of outcomes) {
      const giveUp = error !== null && row.attempts >= MAX_EMAIL_ATTEMPTS;
      await db
        .update(emailMessages)
        .set(
          suppressedFor
            ? { status: "suppressed", secretCiphertext: null, lastError: `address suppressed (${suppressedFor})` }
            : error === null
              ? {
                  status: "sent",
                  sentAt: sql`now()`,
                  providerMessageId: providerId,
                  secretCiphertext: null,
                  lastError: null,
                }
              : giveUp
                ? { status: "failed", secretCiphertext: null, lastError: error.slice(0, 1000) }
                : {
                    lastError: error.slice(0, 1000),
                    nextAttemptAt: sql`now() + make_interval(secs => ${Math.min(60 * 2 ** (row.attempts - 1), 3600)})`,
                  },
        )
        .where(eq(emailMessages.id, row.id));
    }
  });
  const failed = outcomes.filter((o) => o.error !== null).length;
  const suppressed = outcomes.filter((o) => o.suppressedFor).length;
  for (const o of outcomes) if (o.error) console.error(`email ${o.row.id} failed: ${o.error}`);
  return { sent: outcomes.length - failed - suppressed, failed, suppressed };
}
