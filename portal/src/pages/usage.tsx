// Usage: a daily chart per metric for a chosen period (GET /v1/usage?granularity=day), a table
// with the same numbers under it, and the month's metrics with their units and cost so far
// (GET /v1/metrics). docs/portal.md, "Usage and notifications".
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { ApiError, api, unwrap } from "../api.ts";
import { Field } from "../components/field.tsx";
import { money } from "../components/money.ts";
import { Empty, ErrorState, ListState, Loading } from "../components/states.tsx";
import { UsageChart, type UsageDay } from "../components/usage-chart.tsx";
import { can, useMe } from "../session.ts";

const iso = (date: Date) => date.toISOString().slice(0, 10);
const addDays = (day: string, n: number) => iso(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));

/** This month (UTC): its first and its last day. */
function thisMonth(now = new Date()) {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0));
  return { from: iso(first), to: iso(last) };
}

/** Every day in [from, to] (inclusive), at most `max`. */
function daysBetween(from: string, to: string, max = 366): string[] {
  const days: string[] = [];
  for (let day = from; day <= to && days.length < max; day = addDays(day, 1)) days.push(day);
  return days;
}

/** An exact decimal ("1000.500000") as shown: grouped, without trailing zeros ("1,000.5"). */
function quantityText(quantity: string): string {
  const [whole = "0", fraction = ""] = quantity.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const trimmed = fraction.replace(/0+$/, "");
  return trimmed ? `${grouped}.${trimmed}` : grouped;
}

/** A 400 naming the period's dates shows beside them (Field), not again as a page error. */
const periodError = (error: unknown) =>
  error instanceof ApiError && Boolean(error.fieldError("query.from") ?? error.fieldError("query.to"));

export default function Usage() {
  const me = useMe();
  const [period, setPeriod] = useState(thisMonth);
  const [chosen, setChosen] = useState<string | null>(null);
  const complete = Boolean(period.from && period.to);
  const usage = useQuery({
    queryKey: ["usage", "day", period.from, period.to],
    queryFn: () =>
      unwrap(
        api.GET("/v1/usage", {
          params: { query: { granularity: "day", from: period.from, to: addDays(period.to, 1) } },
        }),
      ),
    enabled: complete,
    retry: false,
  });
  const month = (period.from || thisMonth().from).slice(0, 7);
  const metrics = useQuery({
    queryKey: ["metrics", month],
    queryFn: () => unwrap(api.GET("/v1/metrics", { params: { query: { period: month } } })),
    enabled: can(me.data, "metrics:read"),
  });

  const names = [
    ...new Set([...(metrics.data?.data.map((m) => m.metric) ?? []), ...(usage.data?.data.map((r) => r.metric) ?? [])]),
  ];
  const withData = usage.data?.data[0]?.metric;
  const metric = chosen && names.includes(chosen) ? chosen : (withData ?? names[0] ?? null);
  const info = metrics.data?.data.find((m) => m.metric === metric);
  const metricRows = useMemo(() => usage.data?.data.filter((r) => r.metric === metric) ?? [], [usage.data, metric]);

  return (
    <>
      <h1>Usage</h1>
      <form className="actions usage-period" onSubmit={(e) => e.preventDefault()}>
        <Field
          label="From"
          name="from"
          type="date"
          field="query.from"
          error={usage.error}
          value={period.from}
          onChange={(e) => setPeriod({ ...period, from: e.target.value })}
        />
        <Field
          label="To (inclusive)"
          name="to"
          type="date"
          field="query.to"
          error={usage.error}
          value={period.to}
          onChange={(e) => setPeriod({ ...period, to: e.target.value })}
        />
        <div className="field">
          <label htmlFor="usage-metric">Metric</label>
          <select
            id="usage-metric"
            value={metric ?? ""}
            onChange={(e) => setChosen(e.target.value)}
            disabled={names.length === 0}
          >
            {names.map((name) => (
              <option key={name} value={name}>
                {metrics.data?.data.find((m) => m.metric === name)?.description ?? name}
              </option>
            ))}
          </select>
        </div>
      </form>

      <section aria-labelledby="daily-heading">
        <h2 id="daily-heading">
          Daily usage{info ? `: ${info.description} (${info.unit})` : metric ? `: ${metric}` : ""}
        </h2>
        {!complete ? (
          <Empty>Choose the first and the last day of the period.</Empty>
        ) : usage.isPending ? (
          <Loading what="Loading usage" />
        ) : periodError(usage.error) ? (
          <Empty>Choose a valid period: see the message beside the date.</Empty>
        ) : usage.error ? (
          <ErrorState error={usage.error} />
        ) : !metric || usage.data.data.length === 0 ? (
          <Empty>
            No usage recorded between {period.from} and {period.to}.
          </Empty>
        ) : (
          <Daily
            rows={metricRows}
            from={period.from}
            to={period.to}
            label={info?.description ?? metric}
            unit={info?.unit ?? ""}
          />
        )}
      </section>

      {can(me.data, "metrics:read") ? (
        <section aria-labelledby="metrics-heading">
          <h2 id="metrics-heading">Metrics in {month}</h2>
          <ListState query={{ ...metrics, data: metrics.data?.data }} empty="No metrics are priced for this month.">
            {(rows) => (
              <div className="table-wrap">
                <table>
                  <caption className="sr-only">Each metric's quantity and cost so far in {month}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Metric</th>
                      <th scope="col">Unit</th>
                      <th scope="col" className="num">
                        Quantity
                      </th>
                      <th scope="col" className="num">
                        Cost so far
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((m) => (
                      <tr key={m.metric}>
                        <th scope="row">{m.description}</th>
                        <td>{m.unit}</td>
                        <td className="num">{quantityText(m.quantity)}</td>
                        <td className="num">{money(m.preview_cost_cents, metrics.data?.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </ListState>
        </section>
      ) : null}
    </>
  );
}

function Daily(props: {
  rows: { period_start: string; quantity: string; events: number }[];
  from: string;
  to: string;
  label: string;
  unit: string;
}) {
  const { rows, from, to } = props;
  const byDay = useMemo(() => new Map(rows.map((r) => [r.period_start.slice(0, 10), r])), [rows]);
  const days = useMemo(() => daysBetween(from, to), [from, to]);
  // Memoised: a new array would redraw the chart on every render.
  const chartDays: UsageDay[] = useMemo(
    () => days.map((day) => ({ day, quantity: Number(byDay.get(day)?.quantity ?? 0) })),
    [days, byDay],
  );
  return (
    <>
      <UsageChart
        days={chartDays}
        unit={props.unit}
        label={`Daily ${props.label} from ${props.from} to ${props.to}; the table below has the numbers`}
      />
      <div className="table-wrap">
        <table>
          <caption>
            Daily {props.label}
            {props.unit ? ` (${props.unit})` : ""}, {props.from} to {props.to}
          </caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" className="num">
                Quantity
              </th>
              <th scope="col" className="num">
                Events
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map((day) => {
              const row = byDay.get(day);
              return (
                <tr key={day} data-testid="usage-row">
                  <th scope="row">{day}</th>
                  <td className="num">{row ? quantityText(row.quantity) : "0"}</td>
                  <td className="num">{row?.events ?? 0}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
