// One invoice as a document: header, line items, totals, payments and credit notes. The detail
// page and the print view (/invoices/:id/print) both render it.
import type { components } from "../../../client/securebase.ts";
import { day, money, when } from "./money.ts";

export type InvoiceDetail = components["schemas"]["InvoiceWithLineItems"];

export function InvoiceDocument({ invoice }: { invoice: InvoiceDetail }) {
  const cur = invoice.currency;
  return (
    <article className="invoice-document" aria-label={`Invoice ${invoice.number}`}>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <span className={`badge status-${invoice.status}`}>{invoice.status}</span>
        </dd>
        <dt>Period</dt>
        <dd>
          {day(invoice.period_start)} – {day(invoice.period_end)} (end exclusive)
        </dd>
        <dt>Issued</dt>
        <dd>{day(invoice.issued_at)}</dd>
        <dt>Due</dt>
        <dd>{day(invoice.due_at)}</dd>
      </dl>
      <h2>Line items</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Description</th>
              <th scope="col" className="num">
                Quantity
              </th>
              <th scope="col" className="num">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {invoice.line_items.map((line) => (
              <tr key={line.id}>
                <td>{line.description}</td>
                <td className="num">
                  {line.quantity}
                  {line.unit ? ` ${line.unit}` : ""}
                </td>
                <td className="num">{money(line.amount_cents, cur)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={2}>
                Total
              </th>
              <td className="num">{money(invoice.total_cents, cur)}</td>
            </tr>
            <tr>
              <th scope="row" colSpan={2}>
                Amount due
              </th>
              <td className="num">{money(invoice.amount_due_cents, cur)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
      <h2>Payments</h2>
      {invoice.payments.length === 0 ? (
        <p className="state empty">No payments recorded.</p>
      ) : (
        <ul>
          {invoice.payments.map((p) => (
            <li key={p.id}>
              {money(p.amount_cents, cur)} by {p.method} on {when(p.received_at)}
              {p.reference ? ` (ref. ${p.reference})` : ""}
            </li>
          ))}
        </ul>
      )}
      <h2>Credit notes</h2>
      {invoice.credit_notes.length === 0 ? (
        <p className="state empty">No credit notes.</p>
      ) : (
        <ul>
          {invoice.credit_notes.map((n) => (
            <li key={n.id}>
              {n.number}: {money(n.amount_cents, cur)} — {n.reason} <a href={`/v1/credit-notes/${n.id}.pdf`}>PDF</a>
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
