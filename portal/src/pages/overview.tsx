// Overview: the month so far (billing preview), the cost forecast with 80 % and 95 % bands and
// the budget line, and this month's budget alerts (docs/cost.md; worker/cost/routes.ts).
import { useQuery } from "@tanstack/react-query";
import { ApiError, api, unwrap } from "../api.ts";
import { ForecastChart } from "../components/forecast-chart.tsx";
import { Empty, ErrorState, Loading } from "../components/states.tsx";
import { dollars, monthLabel } from "../money.ts";
import { can, useMe } from "../session.ts";

export default function Overview() {
  const me = useMe();
  const preview = useQuery({
    queryKey: ["billing", "preview"],
    queryFn: () => unwrap(api.GET("/v1/billing/preview")),
    enabled: can(me.data, "billing:read"),
  });
  const forecast = (level: number) => ({
    queryKey: ["cost", "forecast", level],
    queryFn: () => unwrap(api.GET("/v1/cost/forecast", { params: { query: { months: 6, level } } })),
  });
  const at80 = useQuery(forecast(80));
  const at95 = useQuery(forecast(95));
  // No budget set is a 404: shown as "no budget", not as an error.
  const budget = useQuery({
    queryKey: ["cost", "budget"],
    queryFn: () =>
      unwrap(api.GET("/v1/cost/budget")).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
  });

  return (
    <>
      <h1>Overview</h1>
      <section aria-labelledby="month-heading" className="cards">
        <h2 id="month-heading">This month</h2>
        {budget.data ? (
          <p>
            Month to date: <strong>{dollars(budget.data.current_month.month_to_date_cents)}</strong> (
            {budget.data.current_month.percent_used} % of the {dollars(budget.data.monthly_limit_cents)} budget)
          </p>
        ) : null}
        {preview.isPending && preview.fetchStatus !== "idle" ? (
          <Loading what="Loading the preview" />
        ) : preview.error ? (
          <ErrorState error={preview.error} />
        ) : preview.data ? (
          <p>
            Invoice preview ({preview.data.period_start} to {preview.data.period_end}):{" "}
            <strong>{dollars(preview.data.total_cents)}</strong>
          </p>
        ) : null}
      </section>

      <section aria-labelledby="forecast-heading">
        <h2 id="forecast-heading">Cost forecast</h2>
        {at80.isPending || at95.isPending ? (
          <Loading what="Loading the forecast" />
        ) : at80.error || at95.error ? (
          <ErrorState error={at80.error ?? at95.error} />
        ) : at80.data.status === "insufficient_history" ? (
          <Empty>
            Not enough history for a forecast yet ({at80.data.history.months} of {at80.data.history.minimum_months}{" "}
            months).
          </Empty>
        ) : (
          <>
            <ForecastChart
              at80={at80.data.months}
              at95={at95.data.months}
              budgetCents={budget.data?.monthly_limit_cents ?? null}
            />
            <div className="table-wrap">
              <table>
                <caption>Forecast invoice totals</caption>
                <thead>
                  <tr>
                    <th scope="col">Month</th>
                    <th scope="col">Expected</th>
                    <th scope="col">80 % range</th>
                    <th scope="col">95 % range</th>
                  </tr>
                </thead>
                <tbody>
                  {at80.data.months.map((m, i) => {
                    const wide = at95.data.months[i]?.total;
                    return (
                      <tr key={m.month}>
                        <th scope="row">{monthLabel(m.month)}</th>
                        <td>{dollars(m.total?.expected_cents)}</td>
                        <td>
                          {dollars(m.total?.lower_cents)} – {dollars(m.total?.upper_cents)}
                        </td>
                        <td>
                          {dollars(wide?.lower_cents)} – {dollars(wide?.upper_cents)}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>

      <section aria-labelledby="alerts-heading">
        <h2 id="alerts-heading">Budget alerts this month</h2>
        {budget.isPending ? (
          <Loading />
        ) : budget.error ? (
          <ErrorState error={budget.error} />
        ) : !budget.data ? (
          <Empty>No budget is set.</Empty>
        ) : budget.data.current_month.alerts.length === 0 ? (
          <Empty>No budget alerts this month.</Empty>
        ) : (
          <ul>
            {budget.data.current_month.alerts.map((a) => (
              <li key={`${a.threshold_percent}-${a.basis}`}>
                {a.threshold_percent} % reached ({a.basis === "actual" ? "month to date" : "forecast"}):{" "}
                {dollars(a.amount_cents)} on {new Date(a.alerted_at).toLocaleDateString()}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
