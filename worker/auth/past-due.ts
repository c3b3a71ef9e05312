// Dunning suspension (docs/billing.md, "Suspension"): with DUNNING_SUSPEND_AT=past_due, a past-due
// customer's keys and sessions get 402 on everything but what it needs to settle. The state is a
// mark per customer in KV ("past-due:customer:<id>"), like suspension's (revocation.ts), written by
// the dunning job and removed after the settlement that clears customers.past_due_since commits.
// The request path reads it from this isolate's memory (30 s), else KV: no database round trip.
//
// Staleness bound: the isolate that marks or unmarks sees it at once; other isolates within
// MEMORY_TTL_MS plus KV's propagation (typically ≤ 60 s), so at most ~90 s.
import { z } from "zod";
import type { Env } from "../env.ts";
import type { AppContext } from "../http/context.ts";
import { problem } from "../http/problem.ts";
import { formatCents } from "../platform/money.ts";
import { portalLink } from "../platform/portal-links.ts";
import type { Principal } from "./principal.ts";

/** The values of DUNNING_SUSPEND_AT: what suspends service (default none). */
export const suspendAtSchema = z.enum(["none", "past_due"]);
export type SuspendAt = z.infer<typeof suspendAtSchema>;

export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/** The setting, validated; an unknown value throws (the dunning job then refuses to run). */
export function dunningSuspendAt(env: Pick<Env, "DUNNING_SUSPEND_AT">): SuspendAt {
  const parsed = suspendAtSchema.safeParse(env.DUNNING_SUSPEND_AT?.trim() || "none");
  if (!parsed.success)
    throw new ConfigurationError(
      `DUNNING_SUSPEND_AT must be one of ${suspendAtSchema.options.join(", ")}; got ${JSON.stringify(env.DUNNING_SUSPEND_AT)}`,
    );
  return parsed.data;
}

/** What the mark carries: enough for the refusal to name the sum and the invoices. */
export interface PastDue {
  since: string;
  amount_due_cents: number;
  invoice_numbers: string[];
}

export const PAST_DUE_MARK_PREFIX = "past-due:customer:";
const markName = (customerId: string) => `${PAST_DUE_MARK_PREFIX}${customerId}`;
export const MEMORY_TTL_MS = 30_000;
const MEMORY_MAX_ENTRIES = 10_000;

// customer id -> its state as last read or written here (null: not past due).
const memory = new Map<string, { state: PastDue | null; until: number }>();

function remember(customerId: string, state: PastDue | null, now = Date.now()): void {
  if (memory.size >= MEMORY_MAX_ENTRIES) {
    const oldest = memory.keys().next().value;
    if (oldest !== undefined) memory.delete(oldest);
  }
  memory.set(customerId, { state, until: now + MEMORY_TTL_MS });
}

/** Marks the customer past due (or updates what is due), at once here and in KV. No expiry. */
export async function markPastDue(kv: KVNamespace, customerId: string, state: PastDue): Promise<void> {
  remember(customerId, state);
  await kv.put(markName(customerId), JSON.stringify(state));
}

/** Removes the mark (the customer settled). */
export async function unmarkPastDue(kv: KVNamespace, customerId: string): Promise<void> {
  remember(customerId, null);
  await kv.delete(markName(customerId));
}

/** The customers with a mark in KV (the dunning job reconciles them with Postgres). */
export async function markedCustomers(kv: KVNamespace): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix: PAST_DUE_MARK_PREFIX, cursor });
    ids.push(...page.keys.map((k) => k.name.slice(PAST_DUE_MARK_PREFIX.length)));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return ids;
}

/** Memory first (no I/O), else one KV read, remembered for MEMORY_TTL_MS either way. */
export function pastDueState(
  kv: KVNamespace,
  customerId: string,
  now = Date.now(),
): PastDue | null | Promise<PastDue | null> {
  const hit = memory.get(customerId);
  if (hit && hit.until > now) return hit.state;
  return kv.get<PastDue>(markName(customerId), "json").then(
    (state) => {
      remember(customerId, state, now);
      return state;
    },
    (error: unknown) => {
      // Billing enforcement never takes the API down: KV failing means not refused (not remembered).
      console.error(`past-due mark unreadable for ${customerId}: ${String(error)}`);
      return null;
    },
  );
}

// What a past-due customer may still do: read what it owes and how to pay, and sign in or out.
const SETTLE_READS = [
  /^\/v1\/invoices(\.csv|\/.*)?$/,
  /^\/v1\/credit-notes(\/.*)?$/,
  /^\/v1\/billing\/.+$/,
  /^\/v1\/me$/,
  /^\/v1\/customer$/,
  /^\/v1\/notifications(\/.*)?$/,
];
const ANY_METHOD = [/^\/v1\/auth\/.+$/, /^\/v1\/sessions(\/.*)?$/, /^\/v1\/notifications\/(read-all|[^/]+\/read)$/];

export function settlesDebt(method: string, path: string): boolean {
  if ((method === "GET" || method === "HEAD") && SETTLE_READS.some((p) => p.test(path))) return true;
  return ANY_METHOD.some((p) => p.test(path));
}

export function accountPastDue(c: AppContext, state: PastDue): Response {
  // A handful of numbers at most: the invoices page lists them all.
  const numbers = state.invoice_numbers;
  const more = numbers.length > 5 ? ` and ${numbers.length - 5} more` : "";
  const invoices = numbers.length ? ` (${numbers.slice(0, 5).join(", ")}${more})` : "";
  return problem(
    c,
    402,
    "account-past-due",
    "Payment required",
    `This account is past due: ${formatCents(state.amount_due_cents)} is 30 or more days overdue${invoices}. ` +
      `Service is suspended until it is paid; see ${portalLink(c.env, "/invoices")} (GET /v1/invoices stays available).`,
  );
}

let reportedBadSetting = false;

/**
 * Wraps `next` with the past-due check for this principal and request: `next` itself when there is
 * nothing to check. Staff and platform keys are never refused. A read runs beside the KV lookup and
 * is replaced if refused; a write waits for it, so a refused write never runs.
 */
export function pastDueGate(c: AppContext, principal: Principal, next: () => Promise<void>): () => Promise<void> {
  let setting: SuspendAt;
  try {
    setting = dunningSuspendAt(c.env);
  } catch (error) {
    // Never suspend on a value we do not understand; the dunning job fails on it (loudly).
    if (!reportedBadSetting) console.error(String(error));
    reportedBadSetting = true;
    return next;
  }
  if (setting === "none" || principal.superAdmin || principal.kind === "platform_key") return next;
  if (settlesDebt(c.req.method, c.req.path)) return next;
  const state = pastDueState(c.env.AUTH_CACHE, principal.customerId);
  if (!(state instanceof Promise))
    return state
      ? async () => {
          c.res = accountPastDue(c, state);
        }
      : next;
  return async () => {
    if (c.req.method === "GET" || c.req.method === "HEAD") {
      const [known] = await Promise.all([state, next()]);
      if (known) c.res = accountPastDue(c, known);
      return;
    }
    const known = await state;
    if (known) c.res = accountPastDue(c, known);
    else await next();
  };
}
