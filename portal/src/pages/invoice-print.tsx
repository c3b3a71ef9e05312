// The print-ready invoice (/invoices/:id/print): the document alone; the stylesheet's print rules
// hide the frame, and the button opens the browser's print dialog.
import { useQuery } from "@tanstack/react-query";
import { useParams } from "@tanstack/react-router";
import { InvoiceDocument } from "../components/invoice-document.tsx";
import { ErrorState, Loading } from "../components/states.tsx";
import { invoiceQuery } from "./invoice.tsx";

export default function InvoicePrint() {
  const { id = "" } = useParams({ strict: false }) as { id?: string };
  const invoice = useQuery(invoiceQuery(id));
  if (invoice.isPending) return <Loading />;
  if (invoice.error) return <ErrorState error={invoice.error} />;
  return (
    <div className="print-page">
      <p className="no-print">
        <button type="button" onClick={() => window.print()}>
          Print
        </button>
      </p>
      <h1>SecureBase — Invoice {invoice.data.number}</h1>
      <InvoiceDocument invoice={invoice.data} />
    </div>
  );
}
