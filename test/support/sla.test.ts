// SLA arithmetic at the boundaries, on the pure functions the API shows tickets with: a clock
// stopped exactly at its deadline is met and one millisecond later breached; a running clock
// is breached only after its deadline; a paused clock's remaining time is frozen; the reopen
// window is 7 days to the millisecond; and the SLA table holds the documented numbers.
import { describe, expect, it } from "vitest";
import {
  customerTransitions,
  REOPEN_WINDOW_MS,
  slaOf,
  staffTransitions,
  type TicketRow,
} from "../../worker/support/sla.ts";
import { asApiRole } from "../helpers/database.ts";

const T0 = new Date("2026-11-23T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3600_000;

function ticket(overrides: Partial<TicketRow> = {}): TicketRow {
  return {
    id: "019a0000-0000-7000-8000-000000000001",
    customerId: "019a0000-0000-7000-8000-000000000002",
    subject: "s",
    description: "d",
    priority: "high",
    status: "open",
    createdBy: null,
    assignee: null,
    firstResponseDueAt: at(4 * HOUR),
    resolutionDueAt: at(24 * HOUR),
    firstRespondedAt: null,
    resolvedAt: null,
    closedAt: null,
    slaBreachedAt: null,
    createdAt: T0,
    updatedAt: T0,
    category: null,
    relatedResourceType: null,
    relatedResourceId: null,
    slaTier: "standard",
    resolutionPausedAt: null,
    firstResponseBreachedAt: null,
    resolutionBreachedAt: null,
    reopenedAt: null,
    ...overrides,
  };
}

describe("first-response clock", () => {
  it("is pending up to and including its deadline, breached one millisecond after", () => {
    expect(slaOf(ticket(), at(4 * HOUR)).first_response).toMatchObject({ status: "pending", remaining_seconds: 0 });
    expect(slaOf(ticket(), at(4 * HOUR - 1000)).first_response.remaining_seconds).toBe(1);
    const late = slaOf(ticket(), at(4 * HOUR + 1));
    expect(late.first_response.status).toBe("breached");
    expect(late.breached).toBe(true);
    expect(slaOf(ticket(), at(5 * HOUR)).first_response.remaining_seconds).toBe(-3600);
  });

  it("a reply exactly at the deadline meets it; a millisecond later breaches it; the clock then stays stopped", () => {
    const met = slaOf(ticket({ firstRespondedAt: at(4 * HOUR) }), at(100 * HOUR)).first_response;
    expect(met).toMatchObject({ status: "met", remaining_seconds: null, stopped_at: at(4 * HOUR).toISOString() });
    expect(slaOf(ticket({ firstRespondedAt: at(4 * HOUR + 1) }), at(100 * HOUR)).first_response.status).toBe(
      "breached",
    );
  });

  it("stops when the ticket is resolved or closed without a reply", () => {
    expect(slaOf(ticket({ status: "resolved", resolvedAt: at(HOUR) }), at(10 * HOUR)).first_response.status).toBe(
      "met",
    );
    expect(slaOf(ticket({ status: "closed", closedAt: at(5 * HOUR) }), at(10 * HOUR)).first_response.status).toBe(
      "breached",
    );
  });
});

describe("resolution clock", () => {
  it("is met when resolved at the deadline, breached a millisecond later", () => {
    expect(slaOf(ticket({ status: "resolved", resolvedAt: at(24 * HOUR) }), at(30 * HOUR)).resolution.status).toBe(
      "met",
    );
    expect(slaOf(ticket({ status: "resolved", resolvedAt: at(24 * HOUR + 1) }), at(30 * HOUR)).resolution.status).toBe(
      "breached",
    );
    expect(slaOf(ticket({ status: "in_progress" }), at(24 * HOUR + 1)).resolution.status).toBe("breached");
  });

  it("is frozen while waiting on the customer: remaining time counts from the start of the pause", () => {
    const waiting = ticket({ status: "waiting_on_customer", resolutionPausedAt: at(20 * HOUR) });
    for (const now of [at(21 * HOUR), at(300 * HOUR)]) {
      expect(slaOf(waiting, now).resolution).toMatchObject({ status: "paused", remaining_seconds: 4 * 3600 });
    }
    // Paused after the deadline had passed: still breached.
    const pausedLate = ticket({ status: "waiting_on_customer", resolutionPausedAt: at(25 * HOUR) });
    expect(slaOf(pausedLate, at(26 * HOUR)).resolution.status).toBe("breached");
  });

  it("shows the breach the sweep recorded", () => {
    const recorded = ticket({ resolutionBreachedAt: at(24 * HOUR + 60_000) });
    expect(slaOf(recorded, at(25 * HOUR)).resolution.breach_recorded_at).toBe(at(24 * HOUR + 60_000).toISOString());
  });
});

describe("transitions", () => {
  it("staff: the lifecycle moves, and nothing out of closed", () => {
    expect(staffTransitions.open).toContain("in_progress");
    expect(staffTransitions.in_progress).toContain("waiting_on_customer");
    expect(staffTransitions.waiting_on_customer).toContain("resolved");
    expect(staffTransitions.resolved).toContain("closed");
    expect(staffTransitions.closed).toEqual([]);
    expect(staffTransitions.in_progress).not.toContain("open");
  });

  it("customer: reopen up to exactly 7 days after resolution, not a millisecond later", () => {
    const resolved = ticket({ status: "resolved", resolvedAt: T0 });
    expect(customerTransitions(resolved, at(REOPEN_WINDOW_MS))).toEqual(["open", "closed"]);
    expect(customerTransitions(resolved, at(REOPEN_WINDOW_MS + 1))).toEqual(["closed"]);
    const closedAfterResolution = ticket({ status: "closed", resolvedAt: T0, closedAt: at(HOUR) });
    expect(customerTransitions(closedAfterResolution, at(HOUR * 2))).toEqual(["open"]);
    expect(customerTransitions(ticket({ status: "closed", closedAt: T0 }), at(1))).toEqual([]);
    expect(customerTransitions(ticket({ status: "in_progress" }), at(1))).toEqual(["closed"]);
  });
});

describe("sla_policies", () => {
  it("holds the documented targets: every tier × priority, gov_federal/critical the tightest", async () => {
    const { rows } = await asApiRole((client) =>
      client.query(
        "SELECT tier, priority, first_response_hours AS f, resolution_hours AS r FROM sla_policies ORDER BY tier, priority",
      ),
    );
    expect(rows).toHaveLength(16);
    const get = (tier: string, priority: string) => rows.find((r) => r.tier === tier && r.priority === priority)!;
    expect(get("gov_federal", "critical")).toMatchObject({ f: 1, r: 4 });
    expect(get("standard", "low")).toMatchObject({ f: 48, r: 240 });
    for (const r of rows) expect(r.r as number).toBeGreaterThanOrEqual(r.f as number);
  });
});
