// Staff console, one customer (super_admin): its facts, a tier change (confirmed; proration from
// now, docs/billing.md "Proration"), suspend / reinstate with a reason (confirmed; audited), its
// invoices (the API asks why staff read them) and the audit archive's legal hold.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { FormError } from "../components/field.tsx";
import { day, money, when } from "../components/money.ts";
import { ReasonField, SelectField, TIERS, tierLabel } from "../components/staff-forms.tsx";
import { StaffNav } from "../components/staff-nav.tsx";
import { ErrorState, ListState, Loading } from "../components/states.tsx";

type Customer = components["schemas"]["Customer"];
type Patch = components["schemas"]["UpdateCustomerRequest"];

export default function StaffCustomer() {
  const { id = "" } = useParams({ strict: false }) as { id?: string };
  const customer = useQuery({
    queryKey: ["staff", "customer", id],
    queryFn: () => unwrap(api.GET("/v1/admin/customers/{id}", { params: { path: { id } } })),
  });
  return (
    <>
      <StaffNav />
      <p>
        <Link to="/staff/customers">← Customers</Link>
      </p>
      {customer.isPending ? <Loading /> : null}
      {customer.error ? <ErrorState error={customer.error} /> : null}
      {customer.data ? <CustomerDetail customer={customer.data} /> : null}
    </>
  );
}

function CustomerDetail({ customer: c }: { customer: Customer }) {
  return (
    <>
      <h1>{c.name}</h1>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <span className={`badge customer-${c.status}`}>{c.status}</span>
        </dd>
        <dt>Tier</dt>
        <dd>{tierLabel(c.tier)}</dd>
        <dt>Past due</dt>
        <dd>{c.past_due_since ? `since ${when(c.past_due_since)}` : "no"}</dd>
        <dt>Jurisdiction</dt>
        <dd>{c.data_jurisdiction.toUpperCase()}</dd>
        <dt>Billing email</dt>
        <dd>{c.email}</dd>
        <dt>Onboarded</dt>
        <dd>{when(c.created_at)}</dd>
      </dl>
      {c.status === "closed" ? (
        <p>This customer is closed: its tier and status can no longer be changed.</p>
      ) : (
        <>
          <TierChange customer={c} />
          <Suspension customer={c} />
        </>
      )}
      <Invoices customerId={c.id} />
      <LegalHold customerId={c.id} />
    </>
  );
}

function usePatch(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Patch) => unwrap(api.PATCH("/v1/admin/customers/{id}", { params: { path: { id } }, body })),
    onSuccess: (updated) => {
      queryClient.setQueryData(["staff", "customer", id], updated);
      void queryClient.invalidateQueries({ queryKey: ["staff", "customers"] });
    },
  });
}

function TierChange({ customer: c }: { customer: Customer }) {
  const [tier, setTier] = useState(c.tier);
  const [confirming, setConfirming] = useState(false);
  const patch = usePatch(c.id);
  return (
    <section aria-labelledby="tier-heading">
      <h2 id="tier-heading">Tier</h2>
      <form
        className="panel"
        aria-labelledby="tier-heading"
        onSubmit={(event) => {
          event.preventDefault();
          setConfirming(true);
        }}
      >
        <SelectField
          label="New tier"
          value={tier}
          options={TIERS.map((t) => ({ value: t, label: tierLabel(t) }))}
          onChange={(value) => {
            setTier(value as Customer["tier"]);
            setConfirming(false);
          }}
          field="body.tier"
          error={patch.error}
        />
        {confirming && tier !== c.tier ? (
          <fieldset className="confirm">
            <legend>Confirm the tier change</legend>
            <p>
              Change {c.name} from {tierLabel(c.tier)} to {tierLabel(tier)}? It takes effect now: this month's base fee
              is prorated by UTC day, the days from today on at {tierLabel(tier)}.
            </p>
            <div className="actions">
              <button
                type="button"
                disabled={patch.isPending}
                onClick={() => patch.mutate({ tier }, { onSuccess: () => setConfirming(false) })}
              >
                Confirm tier change
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          </fieldset>
        ) : (
          <button type="submit" disabled={tier === c.tier}>
            Change tier…
          </button>
        )}
        <FormError error={patch.error} fields={["body.tier"]} />
      </form>
    </section>
  );
}

function Suspension({ customer: c }: { customer: Customer }) {
  const [confirming, setConfirming] = useState(false);
  const patch = usePatch(c.id);
  const suspend = c.status === "active";
  const verb = suspend ? "Suspend" : "Reinstate";
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get("reason")).trim();
    patch.mutate({ status: suspend ? "suspended" : "active", reason }, { onSuccess: () => setConfirming(false) });
  }
  return (
    <section aria-labelledby="status-heading">
      <h2 id="status-heading">Access</h2>
      <p>
        {suspend
          ? "Suspending stops every API key, session and sign-in of this customer on the next request."
          : "This customer is suspended: its keys, sessions and sign-ins are refused."}
      </p>
      {confirming ? (
        <form className="panel confirm" onSubmit={submit} aria-label={`${verb} ${c.name}`}>
          <ReasonField
            label={`Reason to ${verb.toLowerCase()} (kept in the audit trail)`}
            name="reason"
            field="body.reason"
            error={patch.error}
          />
          <div className="actions">
            <button type="submit" className={suspend ? "danger" : undefined} disabled={patch.isPending}>
              {suspend ? "Confirm suspension" : "Confirm reinstatement"}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
          <FormError error={patch.error} fields={["body.reason"]} />
        </form>
      ) : (
        <button type="button" className={suspend ? "danger" : undefined} onClick={() => setConfirming(true)}>
          {verb}…
        </button>
      )}
    </section>
  );
}

function Invoices({ customerId }: { customerId: string }) {
  const [reason, setReason] = useState<string | null>(null);
  const invoices = useQuery({
    queryKey: ["staff", "customer", customerId, "invoices", reason],
    enabled: reason !== null,
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/v1/admin/customers/{id}/invoices", {
            params: { path: { id: customerId }, query: { reason: reason ?? "", limit: 100 } },
          }),
        )
      ).data,
  });
  return (
    <section aria-labelledby="invoices-heading">
      <h2 id="invoices-heading">Invoices</h2>
      <form
        className="panel"
        aria-labelledby="invoices-heading"
        onSubmit={(event) => {
          event.preventDefault();
          setReason(String(new FormData(event.currentTarget).get("reason")).trim());
        }}
      >
        <ReasonField
          label="Why you read this customer's billing (audited)"
          name="reason"
          field="query.reason"
          error={invoices.error}
        />
        <button type="submit">Show invoices</button>
      </form>
      {reason !== null ? (
        <ListState query={invoices} empty="No invoices yet.">
          {(rows) => (
            <div className="table-wrap">
              <table>
                <caption className="sr-only">The customer's invoices, newest first</caption>
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
                      <td>{invoice.number}</td>
                      <td>
                        {day(invoice.period_start)} – {day(invoice.period_end)}
                      </td>
                      <td>
                        <span className="badge">{invoice.status}</span>
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
      ) : null}
    </section>
  );
}

function LegalHold({ customerId }: { customerId: string }) {
  const [done, setDone] = useState<string | null>(null);
  const hold = useMutation({
    mutationFn: async (input: { place: boolean; reason: string }) => {
      const params = { path: { id: customerId } };
      if (input.place) {
        const placed = await unwrap(
          api.PUT("/v1/admin/customers/{id}/legal-hold", { params, body: { reason: input.reason } }),
        );
        return `Legal hold placed ${when(placed.set_at)}.`;
      }
      await unwrap(api.DELETE("/v1/admin/customers/{id}/legal-hold", { params, body: { reason: input.reason } }));
      return "Legal hold lifted: retention applies again from the next daily run.";
    },
    onSuccess: setDone,
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    const reason = String(new FormData(event.currentTarget).get("reason")).trim();
    hold.mutate({ place: submitter?.value !== "lift", reason });
  }
  return (
    <section aria-labelledby="hold-heading">
      <h2 id="hold-heading">Legal hold</h2>
      <p>While held, retention deletes none of this customer's archived audit events.</p>
      <form className="panel" onSubmit={submit} aria-labelledby="hold-heading">
        <ReasonField
          label="Reason for the hold or for lifting it"
          name="reason"
          field="body.reason"
          error={hold.error}
        />
        <div className="actions">
          <button type="submit" value="place" disabled={hold.isPending}>
            Place legal hold
          </button>
          <button type="submit" value="lift" className="secondary" disabled={hold.isPending}>
            Lift legal hold
          </button>
        </div>
        <FormError error={hold.error} fields={["body.reason"]} />
        {done && !hold.isPending && !hold.error ? <p role="status">{done}</p> : null}
      </form>
    </section>
  );
}
