// Staff console, billing runs (super_admin): start a run for a closed month, or a dry run that
// prices the same customers and records the totals without issuing anything (docs/billing.md),
// and every run with its status, counts, total and the customers it could not invoice.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { when } from "../components/money.ts";
import { StaffNav } from "../components/staff-nav.tsx";
import { ListState } from "../components/states.tsx";
import { dollars } from "../money.ts";

type Run = components["schemas"]["BillingRun"];

/** The month before this one (UTC), YYYY-MM: the most recent a run can bill. */
function lastMonth(): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

export default function StaffBillingRuns() {
  const runs = useQuery({
    queryKey: ["staff", "billing-runs"],
    queryFn: async () => (await unwrap(api.GET("/v1/admin/billing-runs", { params: { query: { limit: 50 } } }))).data,
  });
  return (
    <>
      <StaffNav />
      <h1>Billing runs</h1>
      <StartRun />
      <section aria-labelledby="runs-heading">
        <h2 id="runs-heading">Runs</h2>
        <ListState query={runs} empty="No billing runs yet.">
          {(rows) => (
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Billing runs, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Period</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Customers
                    </th>
                    <th scope="col" className="num">
                      Failed
                    </th>
                    <th scope="col" className="num">
                      Total
                    </th>
                    <th scope="col">Started</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((run) => (
                    <tr key={run.id} data-testid="run-row">
                      <td>{run.period_start.slice(0, 7)}</td>
                      <td>
                        {run.dry_run ? "dry run" : "invoicing"} · {run.trigger}
                      </td>
                      <td>
                        <span className={`badge run-${run.status}`}>{run.status}</span>
                      </td>
                      <td className="num">{run.customers_billed}</td>
                      <td className="num">{run.customers_failed}</td>
                      <td className="num">{dollars(run.total_cents)}</td>
                      <td>{when(run.started_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </ListState>
        {runs.data?.some((r) => r.errors.length > 0 || r.error) ? <Failures runs={runs.data} /> : null}
      </section>
    </>
  );
}

function StartRun() {
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<{ period: string; dry_run: boolean } | null>(null);
  const start = useMutation({
    // 500 per transaction, the API's default (the generated type marks the defaulted field required).
    mutationFn: (body: { period: string; dry_run: boolean }) =>
      unwrap(api.POST("/v1/admin/billing-runs", { body: { ...body, batch_size: 500 } })),
    onSuccess: () => {
      setPending(null);
      void queryClient.invalidateQueries({ queryKey: ["staff", "billing-runs"] });
    },
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = { period: String(form.get("period")), dry_run: form.get("dry_run") === "on" };
    start.reset();
    // A dry run issues nothing: no confirmation. A real run issues invoices: confirm first.
    if (body.dry_run) start.mutate(body);
    else setPending(body);
  }
  return (
    <section aria-labelledby="start-heading">
      <h2 id="start-heading">Start a run</h2>
      <form className="panel" onSubmit={submit} aria-labelledby="start-heading">
        <Field
          label="Month (YYYY-MM, must have ended)"
          name="period"
          defaultValue={lastMonth()}
          required
          error={start.error}
        />
        <label className="check">
          <input type="checkbox" name="dry_run" defaultChecked /> Dry run: price every customer, issue nothing
        </label>
        <div className="actions">
          <button type="submit" disabled={start.isPending}>
            Start run
          </button>
        </div>
        {pending ? (
          <fieldset className="confirm">
            <legend>Confirm the billing run</legend>
            <p>
              Issue invoices for {pending.period} to every active customer not yet invoiced for it? Each customer is
              invoiced at most once per month.
            </p>
            <div className="actions">
              <button type="button" disabled={start.isPending} onClick={() => start.mutate(pending)}>
                Issue invoices
              </button>
              <button type="button" className="secondary" onClick={() => setPending(null)}>
                Cancel
              </button>
            </div>
          </fieldset>
        ) : null}
        {start.isPending ? (
          <p role="status" aria-live="polite">
            Running…
          </p>
        ) : null}
        <FormError error={start.error} fields={["body.period"]} />
      </form>
      {start.data ? <RunResult run={start.data} /> : null}
    </section>
  );
}

function RunResult({ run }: { run: Run }) {
  return (
    <div className="panel" role="status" data-testid="run-result">
      <h3>
        {run.dry_run ? "Dry run" : "Run"} for {run.period_start.slice(0, 7)}: {run.status}
      </h3>
      <p>
        {run.dry_run
          ? `${run.customers_billed} customers priced, ${dollars(run.total_cents)} in total; no invoice was issued.`
          : `${run.customers_billed} invoices issued, ${dollars(run.total_cents)} in total.`}{" "}
        {run.customers_failed > 0 ? `${run.customers_failed} customers failed.` : "No failures."}
      </p>
      {run.error ? <p className="field-error">Stopped: {run.error}</p> : null}
    </div>
  );
}

function Failures({ runs }: { runs: Run[] }) {
  return (
    <>
      <h3>Failures</h3>
      <ul className="cards">
        {runs
          .filter((r) => r.errors.length > 0 || r.error)
          .map((r) => (
            <li key={r.id}>
              <strong>
                {r.period_start.slice(0, 7)} ({r.dry_run ? "dry run" : "invoicing"}, {when(r.started_at)})
              </strong>
              {r.error ? <p>Stopped: {r.error}</p> : null}
              <ul>
                {r.errors.map((e) => (
                  <li key={e.customer_id}>
                    Customer <code>{e.customer_id}</code>: {e.error} ({e.sqlstate})
                  </li>
                ))}
              </ul>
            </li>
          ))}
      </ul>
    </>
  );
}
