// The cost forecast chart: expected invoice total per month with its 80 % and 95 % prediction
// bands and the budget line (uPlot, drawn on a canvas; a table with the same numbers follows
// for screen readers and keyboard users).
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { components } from "../../../client/securebase.ts";

type Month = components["schemas"]["CostForecastMonth"];

export function ForecastChart(props: { at80: Month[]; at95: Month[]; budgetCents: number | null }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const months = props.at80.filter((m) => m.total !== null);
    const x = months.map((m) => Date.parse(`${m.month.slice(0, 7)}-01T00:00:00Z`) / 1000);
    const band95 = new Map(props.at95.map((m) => [m.month, m.total]));
    const d = (cents: number | undefined | null) => (cents == null ? null : cents / 100);
    const data: uPlot.AlignedData = [
      x,
      months.map((m) => d(band95.get(m.month)?.lower_cents)),
      months.map((m) => d(band95.get(m.month)?.upper_cents)),
      months.map((m) => d(m.total?.lower_cents)),
      months.map((m) => d(m.total?.upper_cents)),
      months.map((m) => d(m.total?.expected_cents)),
      months.map(() => d(props.budgetCents)),
    ];
    const width = Math.max(280, Math.min(element.clientWidth || 640, 900));
    const plot = new uPlot(
      {
        width,
        height: 260,
        scales: { x: { time: true } },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => `$${t.toLocaleString("en-US")}`), size: 70 }],
        series: [
          {},
          { label: "95 % low", stroke: "#9db7e8" },
          { label: "95 % high", stroke: "#9db7e8" },
          { label: "80 % low", stroke: "#5b8bd9" },
          { label: "80 % high", stroke: "#5b8bd9" },
          { label: "Expected", stroke: "#0b57d0", width: 2 },
          { label: "Budget", stroke: "#b3261e", dash: [6, 4], show: props.budgetCents !== null },
        ],
        bands: [
          { series: [2, 1], fill: "rgba(11,87,208,0.10)" },
          { series: [4, 3], fill: "rgba(11,87,208,0.22)" },
        ],
      },
      data,
      element,
    );
    return () => plot.destroy();
  }, [props.at80, props.at95, props.budgetCents]);
  return <div ref={box} className="chart" role="img" aria-label="Cost forecast chart with 80 % and 95 % bands" />;
}
