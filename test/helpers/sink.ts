// The local sink started by the test setup (dev/local-sink.ts): webhook receivers that verify
// every delivery with `standardwebhooks`, the SES API stand-in, and a DNS-over-HTTPS zone.
import { inject } from "vitest";

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
