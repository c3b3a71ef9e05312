// One audit event (GET /v1/audit-events/{id}): who did what to which resource, from where, the
// change (before/after when the event records one, else its data) and its place in the chain.
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { api, unwrap } from "../api.ts";
import { actorText, exact, ResourceLink } from "../components/audit-display.tsx";
import { ErrorState, Loading } from "../components/states.tsx";

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const show = (value: unknown) => (value === undefined ? "—" : JSON.stringify(value));

export default function AuditEvent() {
  const { id = "" } = useParams({ strict: false }) as { id?: string };
  const event = useQuery({
    queryKey: ["audit-event", id],
    queryFn: () => unwrap(api.GET("/v1/audit-events/{id}", { params: { path: { id } } })),
  });
  if (event.isPending) return <Loading />;
  if (event.error) return <ErrorState error={event.error} />;
  const e = event.data;
  const { before, after, ...rest } = e.data;
  const change = isRecord(before) || isRecord(after);
  const keys = change
    ? [...new Set([...Object.keys(isRecord(before) ? before : {}), ...Object.keys(isRecord(after) ? after : {})])]
    : [];
  return (
    <>
      <p>
        <Link to="/audit">← Audit log</Link>
      </p>
      <h1>Audit event #{e.seq}</h1>
      <p>{e.summary}</p>
      <dl className="facts">
        <dt>When</dt>
        <dd>{exact(e.occurred_at)}</dd>
        <dt>Action</dt>
        <dd>
          <code>{e.action}</code>
        </dd>
        <dt>Actor</dt>
        <dd>{actorText(e.actor)}</dd>
        <dt>Resource</dt>
        <dd>
          {e.resource.type} {e.resource.id ? <code>{e.resource.id}</code> : null}{" "}
          <ResourceLink resource={e.resource}>Open</ResourceLink>
        </dd>
        <dt>Request id</dt>
        <dd>{e.request_id ? <code>{e.request_id}</code> : "—"}</dd>
        <dt>IP address</dt>
        <dd>{e.ip ?? "—"}</dd>
        <dt>User agent</dt>
        <dd className="wrap">{e.user_agent ?? "—"}</dd>
      </dl>
      {change ? (
        <section aria-labelledby="change-heading">
          <h2 id="change-heading">Change</h2>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((key) => (
                  <tr key={key}>
                    <th scope="row">{key}</th>
                    <td>
                      <code>{show(isRecord(before) ? before[key] : undefined)}</code>
                    </td>
                    <td>
                      <code>{show(isRecord(after) ? after[key] : undefined)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
      {Object.keys(change ? rest : e.data).length > 0 ? (
        <section aria-labelledby="data-heading">
          <h2 id="data-heading">{change ? "Other data" : "Data"}</h2>
          <pre className="json">{JSON.stringify(change ? rest : e.data, null, 2)}</pre>
        </section>
      ) : null}
      <section aria-labelledby="chain-heading">
        <h2 id="chain-heading">Hash chain</h2>
        <dl className="facts">
          <dt>Position</dt>
          <dd>{e.seq}</dd>
          <dt>Previous hash</dt>
          <dd className="wrap">
            <code>{e.prev_hash}</code>
          </dd>
          <dt>Hash</dt>
          <dd className="wrap">
            <code>{e.hash}</code>
          </dd>
        </dl>
      </section>
    </>
  );
}
