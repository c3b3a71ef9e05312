// Audit log (docs/portal.md, "Accounts, audit log and activity"): GET /v1/audit-events with the
// route's filters (action, resource, actor, period; kept in the URL so a filtered view can be
// shared), cursor pages, each event's detail page, chain verification of the period (POST
// /v1/audit-events/verify, hot table and archive) and its export (a same-origin GET download that
// the session cookie authenticates).
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { actorText, exact } from "../components/audit-display.tsx";
import { FormError } from "../components/field.tsx";
import { ListState } from "../components/states.tsx";
import { Pager } from "../components/pager.tsx";
import { can, useMe } from "../session.ts";

type ActorType = components["schemas"]["AuditActor"]["type"];
const ACTOR_TYPES: ActorType[] = ["user", "api_key", "system", "staff"];
const PAGE = 25;
const DAY = 86_400_000;

/** The filters as they stand in the URL (`from`/`to` are datetime-local values, local time). */
interface Filters {
  action?: string;
  resource_type?: string;
  resource_id?: string;
  actor_type?: ActorType;
  actor_id?: string;
  from?: string;
  to?: string;
}
const FILTER_KEYS = ["action", "resource_type", "resource_id", "actor_type", "actor_id", "from", "to"] as const;

const iso = (local: string | undefined) => (local ? new Date(local).toISOString() : undefined);

/** The period to verify or export: the filter's, else the last 30 days (to the next minute). */
function period(filters: Filters): { from: string; to: string } {
  const to = iso(filters.to) ?? new Date(Math.ceil((Date.now() + 1) / 60_000) * 60_000).toISOString();
  const from = iso(filters.from) ?? new Date(new Date(to).getTime() - 30 * DAY).toISOString();
  return { from, to };
}

function readFilters(search: Record<string, unknown>): Filters {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = search[key];
    if (typeof value === "string" && value !== "") (filters as Record<string, string>)[key] = value;
  }
  if (filters.actor_type && !ACTOR_TYPES.includes(filters.actor_type)) delete filters.actor_type;
  return filters;
}

export default function Audit() {
  const me = useMe();
  const filters = readFilters(useSearch({ strict: false }) as Record<string, unknown>);
  const navigate = useNavigate();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const events = useQuery({
    queryKey: ["audit-events", filters, cursor],
    queryFn: () =>
      unwrap(
        api.GET("/v1/audit-events", {
          params: {
            query: {
              limit: PAGE,
              starting_after: cursor,
              action: filters.action,
              resource_type: filters.resource_type,
              resource_id: filters.resource_id,
              actor_type: filters.actor_type,
              actor_id: filters.actor_id,
              occurred_after: iso(filters.from),
              occurred_before: iso(filters.to),
            },
          },
        }),
      ),
  });

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const search: Record<string, string> = {};
    for (const key of FILTER_KEYS) {
      const value = String(form.get(key) ?? "").trim();
      if (value) search[key] = value;
    }
    setCursors([]);
    void navigate({ to: "/audit", search });
  }

  const filtered = Object.keys(filters).length > 0;
  return (
    <>
      <h1>Audit log</h1>
      <form
        onSubmit={apply}
        className="panel audit-filters"
        aria-label="Filter audit events"
        key={JSON.stringify(filters)}
      >
        <TextFilter label="Action" name="action" value={filters.action} placeholder="account.created" />
        <TextFilter
          label="Resource type"
          name="resource_type"
          value={filters.resource_type}
          placeholder="managed_account"
        />
        <TextFilter label="Resource id" name="resource_id" value={filters.resource_id} />
        <div className="field">
          <label htmlFor="audit-actor-type">Actor type</label>
          <select id="audit-actor-type" name="actor_type" defaultValue={filters.actor_type ?? ""}>
            <option value="">Any</option>
            {ACTOR_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <TextFilter label="Actor id" name="actor_id" value={filters.actor_id} />
        <TextFilter label="From" name="from" value={filters.from} type="datetime-local" />
        <TextFilter label="To" name="to" value={filters.to} type="datetime-local" />
        <div className="actions">
          <button type="submit">Apply filters</button>
          {filtered ? (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setCursors([]);
                void navigate({ to: "/audit", search: {} });
              }}
            >
              Clear filters
            </button>
          ) : null}
        </div>
      </form>
      {can(me.data, "audit:read") ? <Chain filters={filters} /> : null}
      <h2>Events</h2>
      <ListState
        query={{ ...events, data: events.data?.data }}
        empty={filtered ? "No audit events match these filters." : "No audit events yet."}
      >
        {(rows) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Audit events, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Summary</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Resource</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.id}>
                    <td className="nowrap">{exact(e.occurred_at)}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>
                      <Link to="/audit/events/$id" params={{ id: e.id }}>
                        {e.summary}
                      </Link>
                    </td>
                    <td>{actorText(e.actor)}</td>
                    <td>
                      {e.resource.type}
                      {e.resource.id ? <span className="muted"> {e.resource.id.slice(0, 8)}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
      <Pager
        newer={cursors.length > 0 ? () => setCursors(cursors.slice(0, -1)) : undefined}
        older={events.data?.next_cursor ? () => setCursors([...cursors, events.data.next_cursor ?? ""]) : undefined}
      />
    </>
  );
}

function TextFilter(props: { label: string; name: string; value?: string; placeholder?: string; type?: string }) {
  const id = `audit-${props.name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        defaultValue={props.value ?? ""}
        placeholder={props.placeholder}
      />
    </div>
  );
}

/** Verify the chain over the period, and its export links. */
function Chain({ filters }: { filters: Filters }) {
  const range = period(filters);
  const verify = useMutation({
    mutationFn: (body: { from: string; to: string }) => unwrap(api.POST("/v1/audit-events/verify", { body })),
  });
  const label = filters.from || filters.to ? `${exact(range.from)} – ${exact(range.to)}` : "the last 30 days";
  const exportHref = (format: "jsonl" | "csv") =>
    `/v1/audit-events/export?${new URLSearchParams({ from: range.from, to: range.to, format })}`;
  return (
    <section aria-labelledby="chain-heading">
      <h2 id="chain-heading">Integrity and export</h2>
      <p>
        Period: {label}. Verification recomputes every event's hash in the period (archived ones too) and checks its
        link to the one before.
      </p>
      <div className="actions">
        <button type="button" onClick={() => verify.mutate(range)} disabled={verify.isPending}>
          Verify chain
        </button>
        <a href={exportHref("jsonl")} download>
          Export JSON Lines
        </a>
        <a href={exportHref("csv")} download>
          Export CSV
        </a>
      </div>
      {verify.isPending ? <p role="status">Verifying…</p> : null}
      <FormError error={verify.error} fields={[]} />
      {verify.data ? <Verdict result={verify.data} /> : null}
    </section>
  );
}

function Verdict({ result }: { result: components["schemas"]["AuditPeriodVerification"] }) {
  if (result.valid)
    return (
      <p role="status" className="verdict ok">
        Chain OK: {result.checked} {result.checked === 1 ? "event" : "events"} checked
        {result.archived_checked ? ` (${result.archived_checked} from the archive)` : ""}.
      </p>
    );
  const broken = result.first_broken;
  return (
    <div role="alert" className="verdict broken">
      <p>
        <strong>Chain broken.</strong> {result.checked} events checked.
      </p>
      {broken ? (
        <p>
          First broken event: #{broken.seq}
          {broken.archived ? " (archived)" : ""} — {broken.reason}.{" "}
          {broken.id && !broken.archived ? (
            <Link to="/audit/events/$id" params={{ id: broken.id }}>
              Open event #{broken.seq}
            </Link>
          ) : null}
        </p>
      ) : null}
    </div>
  );
}
