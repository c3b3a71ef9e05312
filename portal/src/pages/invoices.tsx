// Invoices: the list (GET /v1/invoices, newest first) and the CSV export of all of them.
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { api, unwrap } from "../api.ts";
import { day, money } from "../components/money.ts";
import { ListState } from "../components/states.tsx";

export default function Invoices() {
  const list = useQuery({
    queryKey: ["invoices"],
    queryFn: async () => (await unwrap(api.GET("/v1/invoices", { params: { query: { limit: 100 } } }))).data,
  });
  return (
    <>
      <h1>Invoices</h1>
      <p>
        <a href="/v1/invoices.csv" download>
          Export all as CSV
        </a>
      </p>
      <ListState query={list} empty="No invoices yet: the first is issued after your first billing period.">
        {(rows) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Your invoices, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Number</th>
                  <th scope="col">Period</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Total
                  </th>
                  <th scope="col" className="num">
                    Due
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((invoice) => (
                  <tr key={invoice.id}>
                    <td>
                      <Link to="/invoices/$id" params={{ id: invoice.id }}>
                        {invoice.number}
                      </Link>
                    </td>
                    <td>
                      {day(invoice.period_start)} – {day(invoice.period_end)}
                    </td>
                    <td>
                      <span className={`badge status-${invoice.status}`}>{invoice.status}</span>
                    </td>
                    <td className="num">{money(invoice.total_cents, invoice.currency)}</td>
                    <td className="num">{money(invoice.amount_due_cents, invoice.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
    </>
  );
}
