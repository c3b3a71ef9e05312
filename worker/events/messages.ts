import { z } from "@hono/zod-openapi";

// Messages on the EVENTS queue. The outbox pipeline (SPEC §6) will produce these from committed
// rows; for now the API publishes directly after its work is done.
export const eventMessageSchema = z.object({
  id: z.string().min(1),
  type: z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/),
  customer_id: z.string().uuid(),
  occurred_at: z.string().datetime(),
  data: z.record(z.string(), z.unknown()),
});
export type EventMessage = z.infer<typeof eventMessageSchema>;

export function newEvent(type: string, customerId: string, data: Record<string, unknown>): EventMessage {
  return { id: `evt_${crypto.randomUUID().replaceAll("-", "")}`, type, customer_id: customerId, occurred_at: new Date().toISOString(), data };
}
