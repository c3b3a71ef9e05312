// The typed client in use: run it against `npm run dev` with
//   BASE=http://127.0.0.1:8787 SECUREBASE_KEY=sb_test_… sh scripts/with-node22.sh node docs/examples/typed-client.ts
// (Node 22.18+ runs TypeScript by stripping its types; `npm run typecheck` checks this file.)
import { allInvoices, createSecureBaseClient } from "../../client/securebase.ts";

const baseUrl = process.env.BASE ?? "http://127.0.0.1:8787";
const token = process.env.SECUREBASE_KEY;
if (!token) throw new Error("set SECUREBASE_KEY to an API key (the demo keys are in .data/demo-keys.json)");

const client = createSecureBaseClient({ baseUrl, token });
const invoices = await allInvoices(client); // follows the cursor from page to page
console.log(`${invoices.length} invoices`);
const first = invoices[0];
if (!first) throw new Error("no invoices: `npm run dev` seeds some for the demo customers");

const { data, error } = await client.GET("/v1/invoices/{id}", { params: { path: { id: first.id } } });
if (error) throw new Error(`${error.title}: ${error.detail}`); // a typed RFC 9457 problem
console.log(`${data.number}: ${data.total_cents} cents, ${data.line_items.length} line items`);
