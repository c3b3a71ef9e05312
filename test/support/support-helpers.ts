// Shared by the support tests: requests with JSON bodies, the wire shapes, and owner-side reads
// and clock shifts (to put a deadline in the past without waiting for it).
import { expect } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { send, type Schemas } from "../helpers/http.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

export type Clock = Schemas["SlaClock"];
/** A ticket as the customer sees it; the staff routes add assignment and the customer. */
export type Ticket = Schemas["SupportTicket"] & Partial<Schemas["StaffSupportTicket"]>;
/** A comment; `internal` only on the staff routes. */
export type Comment = Schemas["TicketComment"] & Partial<Schemas["StaffTicketComment"]>;

export const SUPPORT_SCOPES = ["support:read", "support:write"];

export const supportTenant = (
  tier: "standard" | "fintech" | "healthcare" | "gov_federal" = "standard",
): Promise<TestTenant> => createTenant({ tier, scopes: [...SUPPORT_SCOPES, "audit:read"] });

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
