// Shared by the support tests: requests with JSON bodies, the wire shapes, and owner-side reads
// and clock shifts (to put a deadline in the past without waiting for it).
import { expect } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

export interface Clock {
  due_at: string;
  status: "pending" | "paused" | "met" | "breached";
  remaining_seconds: number | null;
  stopped_at: string | null;
  breach_recorded_at: string | null;
}
export interface Ticket {
  id: string;
  object: string;
  subject: string;
  description: string;
  priority: string;
  status: string;
  category: string | null;
  related_resource: { type: string; id: string } | null;
  assigned?: boolean;
  assignee_id?: string | null;
  customer?: { id: string; name: string; tier: string };
  sla: { tier: string | null; first_response: Clock; resolution: Clock; breached: boolean };
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  closed_at: string | null;
}
export interface Comment {
  id: string;
  ticket_id: string;
  author_type: string;
  body: string;
  internal?: boolean;
}
export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export const SUPPORT_SCOPES = ["support:read", "support:write"];

export const supportTenant = (
  tier: "standard" | "fintech" | "healthcare" | "gov_federal" = "standard",
): Promise<TestTenant> => createTenant({ tier, scopes: [...SUPPORT_SCOPES, "audit:read"] });

export function send(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return call(path, {
    method,
    token,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function openTicket(token: string, body: Record<string, unknown> = {}): Promise<Ticket> {
  const response = await send("POST", "/v1/support/tickets", token, {
    subject: "Help",
    description: "Something broke",
    priority: "high",
    ...body,
  });
  expect(response.status).toBe(201);
  return response.json<Ticket>();
}

export async function ok<T>(response: Response, status = 200): Promise<T> {
  if (response.status !== status)
    throw new Error(`expected ${status}, got ${response.status}: ${await response.text()}`);
  return response.json<T>();
}

/** Moves every stored time of a ticket `ms` into the past (as if it had been opened earlier). */
export function age(customerId: string, ticketId: string, ms: number): Promise<unknown> {
  const shift = `make_interval(secs => ${ms / 1000})`;
  return asOwner((client) =>
    asCustomer(client, customerId, () =>
      client.query(
        `UPDATE support_tickets SET
         created_at = created_at - ${shift},
         first_response_due_at = first_response_due_at - ${shift},
         resolution_due_at = resolution_due_at - ${shift},
         first_responded_at = first_responded_at - ${shift},
         resolution_paused_at = resolution_paused_at - ${shift},
         resolved_at = resolved_at - ${shift},
         closed_at = closed_at - ${shift}
       WHERE id = $1`,
        [ticketId],
      ),
    ),
  );
}

export async function outboxFor(customerId: string): Promise<{ type: string; payload: Record<string, unknown> }[]> {
  return asOwner((client) =>
    asCustomer(client, customerId, async () => {
      const { rows } = await client.query(
        "SELECT type, payload FROM outbox_events WHERE customer_id = $1 AND type LIKE 'ticket.%' ORDER BY id",
        [customerId],
      );
      return rows as { type: string; payload: Record<string, unknown> }[];
    }),
  );
}
