// Money is written one way wherever a person reads it (worker/platform/money.ts): the invoice
// email, the HTML and PDF documents, budget notices and audit summaries all say "$15,576.21".
import { describe, expect, it } from "vitest";
import type { InvoiceRow } from "../../worker/invoices/invoices.ts";
import { invoiceHtml } from "../../worker/invoices/documents.ts";
import { invoicePdfModel } from "../../worker/invoices/pdf-invoice.ts";
import { DEV_SELLER } from "../../worker/invoices/seller.ts";
import { notificationCatalogue } from "../../worker/notifications/catalogue.ts";
import { formatCents } from "../../worker/platform/money.ts";

const invoice: InvoiceRow = {
  id: "0192a000-0000-7000-8000-000000000001",
  customerId: "0192a000-0000-7000-8000-000000000002",
  number: "SB-2026-000042",
  status: "open",
  currency: "usd",
  periodStart: "2026-11-01",
  periodEnd: "2026-12-01",
  subtotalCents: 1_442_242,
  discountCents: 0,
  taxCents: 115_379,
  totalCents: 1_557_621,
  issuedAt: new Date("2026-12-01T00:00:00Z"),
  dueAt: new Date("2026-12-31T00:00:00Z"),
  paidAt: null,
  createdAt: new Date("2026-12-01T00:00:00Z"),
  taxStatus: "taxable",
  taxNote: null,
  billingDetails: null,
  amountPaidCents: 0,
  amountCreditedCents: 0,
  balanceAppliedCents: 0,
  voidedAt: null,
  markedUncollectibleAt: null,
  statusReason: null,
  amountDueCents: 1_557_621,
};

describe("one money format", () => {
  it("formats cents with thousands separators and two decimals", () => {
    expect(formatCents(1_557_621)).toBe("$15,576.21");
    expect(formatCents(221_940)).toBe("$2,219.40");
    expect(formatCents(5)).toBe("$0.05");
    expect(formatCents(-7_500)).toBe("-$75.00");
    expect(formatCents(123_456_789_00)).toBe("$123,456,789.00");
  });

  it("the invoice email writes the total exactly as the HTML and PDF documents do", () => {
    const email = notificationCatalogue["invoice.created"].render(
      {
        id: invoice.id,
        number: invoice.number,
        period_start: invoice.periodStart,
        period_end: invoice.periodEnd,
        total_cents: invoice.totalCents,
        currency: "usd",
      },
      { apiUrl: "https://api.securebase.test", portalUrl: "https://portal.securebase.test", secrets: {} },
    );
    expect(email.title).toBe("Invoice SB-2026-000042: $15,576.21");
    expect(email.text).toContain("totals $15,576.21 (USD)");
    expect(email.text).not.toContain("$15576.21");
    expect(email.text).toContain(`/v1/invoices/${invoice.id}.pdf`);

    const document = {
      invoice,
      lineItems: [],
      customer: { name: "Acme", email: "ap@acme.example" },
      seller: DEV_SELLER,
    };
    expect(invoiceHtml(document)).toContain("$15,576.21");
    const pdfRows = invoicePdfModel(document).blocks.flatMap((b) => (b.kind === "table" ? (b.footer ?? []) : []));
    expect(pdfRows).toContainEqual(["Amount due", "", "", "$15,576.21"]);
  });

  it("budget notices use it too", () => {
    const notice = notificationCatalogue["cost.budget_exceeded"].render(
      {
        month: "2026-12-01",
        amount_cents: 223_290,
        budget_cents: 240_000,
        percent_of_budget: 93,
      },
      { apiUrl: "", portalUrl: "", secrets: {} },
    );
    expect(notice.text).toContain("$2,232.90");
    expect(notice.text).toContain("$2,400.00");
  });
});
