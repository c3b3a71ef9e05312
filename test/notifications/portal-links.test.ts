// Every email that points somewhere points at the portal page for it (docs/portal.md, "Links in
// email"): PORTAL_URL, or the Worker's own origin (PUBLIC_API_URL) when PORTAL_URL is empty. The
// sink-level checks live with each feature (invites, password reset, invoices, support); this one
// renders every kind the sender renders, so a template that drifts back to an API URL fails here.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { emailMessages } from "../../db/schema.ts";
import type { Env } from "../../worker/env.ts";
import { renderEmail } from "../../worker/notifications/email.ts";
import { portalLink } from "../../worker/platform/portal-links.ts";

const ID = "0b6f3c2e-5d1a-4c7e-9f00-1234567890ab";
const row = (eventType: string, data: Record<string, unknown>): typeof emailMessages.$inferSelect => ({
  id: crypto.randomUUID(),
  customerId: crypto.randomUUID(),
  eventId: crypto.randomUUID(),
  eventType,
  userId: null,
  toAddress: "someone@example.com",
  data,
  secretCiphertext: null,
  status: "pending",
  attempts: 0,
  nextAttemptAt: new Date(),
  lastError: null,
  providerMessageId: null,
  sentAt: null,
  createdAt: new Date(),
});

const cases: [string, Record<string, unknown>, string][] = [
  ["invoice.created", { id: ID, number: "SB-1", total_cents: 100 }, `/invoices/${ID}`],
  ["invoice.paid", { id: ID, number: "SB-1", total_cents: 100 }, `/invoices/${ID}`],
  ["invoice.voided", { id: ID, number: "SB-1", total_cents: 100, reason: "x" }, `/invoices/${ID}`],
  ["invoice.marked_uncollectible", { id: ID, number: "SB-1", amount_due_cents: 100 }, `/invoices/${ID}`],
  ["ticket.comment.created", { ticket_id: ID, excerpt: "hi", author_type: "staff" }, `/support/tickets/${ID}`],
  ["ticket.sla_breached", { id: ID, clock: "resolution", priority: "urgent" }, `/support/tickets/${ID}`],
  [
    "webhook.endpoint.disabled",
    { endpoint_id: ID, url: "https://x.test", reason: "gone" },
    `/webhooks/endpoints/${ID}`,
  ],
  [
    "webhook.endpoint.disabled",
    { endpoint_id: ID, url: "https://x.test", reason: "failing" },
    `/webhooks/endpoints/${ID}`,
  ],
  ["cost.budget_exceeded", { basis: "actual", month: "2026-12-01", amount_cents: 1, budget_cents: 1 }, "/overview"],
];

describe("links in email", () => {
  it.each(cases)("%s links to its portal page on the Worker's own origin by default", async (type, data, path) => {
    const { text, html } = await renderEmail(env as Env, row(type, data));
    const link = portalLink(env as Env, path);
    expect(link.startsWith(env.PUBLIC_API_URL.replace(/\/$/, ""))).toBe(true);
    expect(text).toContain(`${link}\n`);
    expect(html).toContain(`href="${link}"`);
    expect(text).not.toContain("/v1/support");
    expect(text).not.toContain(".html");
  });

  it("uses PORTAL_URL when it is set", async () => {
    const portal = { ...(env as Env), PORTAL_URL: "https://portal.example.test/" };
    const { text } = await renderEmail(portal, row("invoice.paid", { id: ID, number: "SB-1", total_cents: 1 }));
    expect(text).toContain(`https://portal.example.test/invoices/${ID}\n`);
    expect(portalLink(portal, "overview")).toBe("https://portal.example.test/overview");
  });

  it("writes no link for a reset or invite email whose sealed token is missing", async () => {
    for (const type of ["user.password_reset_requested", "user.invited"]) {
      const { text } = await renderEmail(env as Env, row(type, { email: "a@b.test", role: "admin" }));
      expect(text).toContain("(link unavailable)");
    }
  });
});
