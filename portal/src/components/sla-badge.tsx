// An SLA badge: time left on the running clock (counting down live), paused, met, or breached.
import { useEffect, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { timeLeft } from "./money.ts";

type Sla = components["schemas"]["TicketSla"];

/** Seconds now, ticking every second while mounted (for live countdowns). */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The clock that matters now: first response until it stops, then resolution. */
export function activeClock(sla: Sla) {
  return sla.first_response.status === "pending" || sla.first_response.status === "paused"
    ? { name: "First response", clock: sla.first_response }
    : { name: "Resolution", clock: sla.resolution };
}

export function SlaBadge({ sla, now }: { sla: Sla; now: number }) {
  const { name, clock } = activeClock(sla);
  if (sla.breached || clock.status === "breached")
    return <span className="badge sla-breached">SLA breached ({name.toLowerCase()})</span>;
  if (clock.status === "paused") return <span className="badge sla-paused">{name}: paused, waiting on customer</span>;
  if (clock.status === "met") return <span className="badge sla-met">SLA met</span>;
  const seconds = (Date.parse(clock.due_at) - now) / 1000;
  return (
    <span className={`badge ${seconds < 0 ? "sla-breached" : "sla-pending"}`}>
      {name}: {timeLeft(seconds)}
    </span>
  );
}
