// Demo support tickets for `npm run dev`: a fresh one, one in conversation (with a staff reply
// and an internal note), one waiting on the customer, and one whose first-response deadline has
// passed without a reply (breached; the 5-minute sweep records it and emits ticket.sla_breached).
// Idempotent: fixed ids, inserted only when missing. Deadlines come from sla_policies.
import { asCustomer, type FixtureClient } from "../fixtures.ts";
import { demoCustomers } from "./demo.ts";

interface DemoTicket {
  id: string;
  customer: number;
  subject: string;
  description: string;
  priority: "low" | "medium" | "high" | "critical";
  status: "open" | "in_progress" | "waiting_on_customer";
  category: string;
  /** How long ago it was opened. */
  ageMinutes: number;
  comments: { author: "customer" | "staff"; body: string; internal?: boolean }[];
}

const demoTickets: DemoTicket[] = [
  {
    id: "0192a000-0000-7000-8000-0000000c0001",
    customer: 0,
    subject: "SSO login fails for a few users",
    description: "Since this morning three people get 'invalid SAML response' when signing in to the portal.",
    priority: "high",
    status: "open",
    category: "technical",
    ageMinutes: 20,
    comments: [],
  },
  {
    id: "0192a000-0000-7000-8000-0000000c0002",
    customer: 0,
    subject: "October invoice bills NAT processing twice",
    description: "Lines 3 and 5 of the October invoice both bill NAT processing.",
    priority: "medium",
    status: "in_progress",
    category: "billing",
    ageMinutes: 180,
    comments: [
      { author: "staff", body: "Thanks for flagging this, we are checking the usage records for October." },
      {
        author: "staff",
        body: "Duplicate usage batch from 10-14 ingested twice; credit note approved.",
        internal: true,
      },
    ],
  },
  {
    id: "0192a000-0000-7000-8000-0000000c0003",
    customer: 0,
    subject: "CloudTrail logs missing for us-west-2",
    description: "The log archive has no CloudTrail objects for us-west-2 since 02:00 UTC.",
    priority: "critical",
    status: "open",
    category: "security",
    // healthcare/critical: first response due in 1 hour — this one is 3 hours old, unanswered.
    ageMinutes: 180,
    comments: [],
  },
  {
    id: "0192a000-0000-7000-8000-0000000c0004",
    customer: 1,
    subject: "Need a copy of the SOC 2 bridge letter",
    description: "Our auditors ask for the current bridge letter.",
    priority: "low",
    status: "waiting_on_customer",
    category: "compliance",
    ageMinutes: 60 * 26,
    comments: [{ author: "staff", body: "Happy to send it: which period should it cover?" }],
  },
];

export async function seedDemoTickets(client: FixtureClient): Promise<void> {
  for (const t of demoTickets) {
    const customerId = demoCustomers[t.customer]!.id;
    // A staff context: the demo conversation includes an internal note, which only staff may write.
    await asCustomer(client, { customerId, superAdmin: true }, async () => {
      const opened = `now() - make_interval(mins => ${t.ageMinutes})`;
      const answered = t.comments.some((c) => c.author === "staff" && !c.internal);
      const { rows } = await client.query(
        `INSERT INTO support_tickets (id, customer_id, subject, description, priority, status, category, sla_tier,
           first_response_due_at, resolution_due_at, first_responded_at, resolution_paused_at, created_at, updated_at)
         SELECT $1, c.id, $2, $3, $4, $5, $6, c.tier,
           ${opened} + make_interval(hours => p.first_response_hours), ${opened} + make_interval(hours => p.resolution_hours),
           CASE WHEN $7 THEN ${opened} + interval '10 minutes' END,
           CASE WHEN $5 = 'waiting_on_customer' THEN ${opened} + interval '15 minutes' END,
           ${opened}, ${opened}
         FROM customers c JOIN sla_policies p ON p.tier = c.tier AND p.priority = $4
         WHERE c.id = $8
         ON CONFLICT (id) DO NOTHING
         RETURNING id`,
        [t.id, t.subject, t.description, t.priority, t.status, t.category, answered, customerId],
      );
      if (rows.length === 0) return;
      for (const c of t.comments) {
        await client.query(
          `INSERT INTO ticket_comments (customer_id, ticket_id, author_type, author_id, body, internal, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, now() - make_interval(mins => ${t.ageMinutes - 10}))`,
          [customerId, t.id, c.author, c.author === "staff" ? "demo-staff" : null, c.body, c.internal ?? false],
        );
      }
    });
  }
}
