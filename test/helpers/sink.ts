// The local sink started by the test setup (dev/local-sink.ts): webhook receivers that verify
// every delivery with `standardwebhooks`, the SES API stand-in, and a DNS-over-HTTPS zone.
import { inject } from "vitest";
import { eventually } from "./wait.ts";

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  verified: boolean;
  verified_with: number[];
  status: number;
  received_at: string;
}
export interface SentEmail {
  headers: Record<string, string>;
  body: {
    FromEmailAddress: string;
    Destination: { ToAddresses: string[] };
    Content: { Simple: { Subject: { Data: string }; Body: { Text: { Data: string }; Html: { Data: string } } } };
  };
  signature_valid: boolean;
}

export const sinkUrl = () => inject("sinkUrl");
let counter = 0;

/** A fresh receiver; `script` answers the first requests, then `then_status` (default 200). */
export async function receiver(
  config: {
    secrets?: string[];
    script?: { status: number; retry_after?: string; delay_ms?: number }[];
    then_status?: number;
  } = {},
): Promise<{ name: string; url: string }> {
  // Random too: files running at the same time share the sink, and each has its own counter.
  const name = `r${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  await configureReceiver(name, config);
  return { name, url: `${sinkUrl()}/webhooks/${name}` };
}

export async function configureReceiver(
  name: string,
  config: { secrets?: string[]; script?: unknown[]; then_status?: number },
): Promise<void> {
  const response = await fetch(`${sinkUrl()}/webhooks/${name}`, { method: "PUT", body: JSON.stringify(config) });
  if (!response.ok) throw new Error(`sink: ${response.status}`);
}

export async function received(name: string): Promise<ReceivedWebhook[]> {
  return (await fetch(`${sinkUrl()}/webhooks/${name}/requests`)).json();
}

export async function sentEmails(): Promise<SentEmail[]> {
  return (await fetch(`${sinkUrl()}/emails`)).json();
}
/**
 * The invite tokens emailed to `address` (the accept link's `token`), oldest first, once at least
 * `count` invite emails have reached the sink. The API returns the token to nobody else.
 */
export async function emailedInviteTokens(address: string, count = 1): Promise<string[]> {
  return eventually(async () => {
    const found = (await sentEmails())
      .filter((e) => e.body.Destination.ToAddresses.includes(address))
      .map((e) => /\/accept-invite\?token=([A-Za-z0-9_-]+)/.exec(e.body.Content.Simple.Body.Text.Data)?.[1])
      .filter((t): t is string => t !== undefined);
    if (found.length < count) throw new Error(`sink: ${found.length} invite email(s) to ${address}, expected ${count}`);
    return found;
  });
}

/** The newest invite token emailed to `address`. */
export const emailedInviteToken = async (address: string): Promise<string> =>
  (await emailedInviteTokens(address)).at(-1)!;
