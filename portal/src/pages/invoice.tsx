// One invoice (GET /v1/invoices/{id}): lines, payments, credit notes; print view and PDF.
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { api, unwrap } from "../api.ts";
import { InvoiceDocument } from "../components/invoice-document.tsx";
import { ErrorState, Loading } from "../components/states.tsx";

export const invoiceQuery = (id: string) => ({
  queryKey: ["invoice", id],
  queryFn: () => unwrap(api.GET("/v1/invoices/{id}", { params: { path: { id } } })),
});

export default function Invoice() {
  const { id = "" } = useParams({ strict: false }) as { id?: string };
  const invoice = useQuery(invoiceQuery(id));
  if (invoice.isPending) return <Loading />;
  if (invoice.error) return <ErrorState error={invoice.error} />;
  return (
    <>
      <p>
        <Link to="/invoices">← Invoices</Link>
      </p>
      <h1>Invoice {invoice.data.number}</h1>
      <p className="actions">
        <Link to="/invoices/$id/print" params={{ id }}>
          Print view
        </Link>
        <a href={`/v1/invoices/${id}.pdf`}>Download PDF</a>
      </p>
      <InvoiceDocument invoice={invoice.data} />
    </>
  );
}
