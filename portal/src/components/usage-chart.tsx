// A daily usage chart for one metric (uPlot bars on a canvas). The usage page puts a table with
// the same numbers under it for screen readers and keyboard users (docs/portal.md, "Usage").
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface UsageDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  quantity: number;
}

export function UsageChart(props: { days: UsageDay[]; label: string; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const data: uPlot.AlignedData = [
      props.days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000),
      props.days.map((d) => d.quantity),
    ];
    const width = Math.max(280, Math.min(element.clientWidth || 640, 900));
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    const plot = new uPlot(
      {
        width,
        height: 240,
        legend: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => t.toLocaleString("en-US")), size: 70 }],
        series: [{}, { label: props.unit, stroke: "#0b57d0", fill: "rgba(11,87,208,0.35)", paths: bars }],
      },
      data,
      element,
    );
    return () => plot.destroy();
  }, [props.days, props.unit]);
  return <div ref={box} className="chart usage-chart" role="img" aria-label={props.label} />;
}
