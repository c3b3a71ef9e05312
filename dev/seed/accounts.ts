// Demo managed AWS accounts for `npm run dev` (the portal's /accounts page): a few per demo
// customer, well under each tier's max_accounts (fictitious 12-digit AWS ids). Idempotent: fixed ids.
// Inserted directly, so they have no audit events; accounts made through the API do.
import { asCustomer, type FixtureClient } from "../fixtures.ts";
import { demoCustomers } from "./demo.ts";

const demoAccounts: {
  id: string;
  customer: number;
  name: string;
  environment: string;
  aws: string | null;
  status: string;
}[] = [
  {
    id: "0192a000-0000-7000-8000-0000000ac001",
    customer: 0,
    name: "clinical-prod",
    environment: "production",
    aws: "111122223331",
    status: "active",
  },
  {
    id: "0192a000-0000-7000-8000-0000000ac002",
    customer: 0,
    name: "clinical-staging",
    environment: "staging",
    aws: "111122223332",
    status: "active",
  },
  {
    id: "0192a000-0000-7000-8000-0000000ac003",
    customer: 0,
    name: "log-archive",
    environment: "logging",
    aws: "111122223333",
    status: "active",
  },
  {
    id: "0192a000-0000-7000-8000-0000000ac004",
    customer: 1,
    name: "payments-prod",
    environment: "production",
    aws: "444455556661",
    status: "active",
  },
  {
    id: "0192a000-0000-7000-8000-0000000ac005",
    customer: 1,
    name: "security-tooling",
    environment: "security",
    aws: "444455556662",
    status: "active",
  },
  {
    id: "0192a000-0000-7000-8000-0000000ac006",
    customer: 1,
    name: "data-sandbox",
    environment: "sandbox",
    aws: null,
    status: "provisioning",
  },
];

export async function seedDemoAccounts(client: FixtureClient): Promise<void> {
  for (const a of demoAccounts) {
    const customerId = demoCustomers[a.customer]!.id;
    await asCustomer(client, customerId, () =>
      client.query(
        `INSERT INTO managed_accounts (id, customer_id, name, environment, aws_account_id, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() - interval '40 days')
         ON CONFLICT (id) DO NOTHING`,
        [a.id, customerId, a.name, a.environment, a.aws, a.status],
      ),
    );
  }
}
