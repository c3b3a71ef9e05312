// Staff console, platform status (super_admin): cron heartbeats, the outbox backlog, dead webhook
// deliveries and the events queue (GET /v1/admin/status), and open / resolved alert incidents
// (GET /v1/admin/alerts; docs/operations.md). Both refresh every 30 s.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api.ts";
import { when } from "../components/money.ts";
import { StaffNav } from "../components/staff-nav.tsx";
import { ErrorState, ListState, Loading } from "../components/states.tsx";

const REFRESH_MS = 30_000;

/** "3 min ago" from a number of seconds. */
function ago(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
}

export default function StaffStatus() {
  const status = useQuery({
    queryKey: ["staff", "status"],
    queryFn: () => unwrap(api.GET("/v1/admin/status")),
    refetchInterval: REFRESH_MS,
  });
  const alerts = useQuery({
    queryKey: ["staff", "alerts"],
    queryFn: async () =>
      (await unwrap(api.GET("/v1/admin/alerts", { params: { query: { state: "all", limit: 50 } } }))).data,
    refetchInterval: REFRESH_MS,
  });
  const s = status.data;
  return (
    <>
      <StaffNav />
      <h1>Platform status</h1>
      <p className="muted">
        Refreshed every 30 seconds{s ? `; checked ${when(s.checked_at)} (${s.environment})` : ""}.
      </p>
      {status.isPending ? <Loading /> : null}
      {status.error ? <ErrorState error={status.error} /> : null}
      {s ? (
        <>
          <section aria-labelledby="jobs-heading">
            <h2 id="jobs-heading">Cron jobs</h2>
            <ListState query={{ ...status, data: s.jobs }} empty="No scheduled jobs.">
              {(jobs) => (
                <div className="table-wrap">
                  <table>
                    <caption className="sr-only">Each scheduled job and its last run</caption>
                    <thead>
                      <tr>
                        <th scope="col">Job</th>
                        <th scope="col">Schedule</th>
                        <th scope="col">Last run</th>
                        <th scope="col">Started</th>
                        <th scope="col">Finished</th>
                      </tr>
                    </thead>
                    <tbody>
                      {jobs.map((job) => (
                        <tr key={job.job} data-testid="job-row">
                          <th scope="row">{job.job}</th>
                          <td>
                            <code>{job.cron ?? "—"}</code>
                          </td>
                          <td>
                            <span className={`badge job-${job.last_status}`}>{job.last_status.replace("_", " ")}</span>
                          </td>
                          <td>{ago(job.seconds_since_last_start)}</td>
                          <td>{when(job.last_finished_at)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </ListState>
          </section>
          <section aria-labelledby="pipes-heading">
            <h2 id="pipes-heading">Outbox, webhooks and queues</h2>
            <dl className="facts">
              <dt>Outbox events not yet published</dt>
              <dd>{s.outbox.unpublished}</dd>
              <dt>Oldest unpublished</dt>
              <dd>{ago(s.outbox.oldest_unpublished_age_seconds)}</dd>
              <dt>Dead webhook deliveries</dt>
              <dd>{s.webhooks.dead_deliveries}</dd>
              <dt>Events redelivered (24 h)</dt>
              <dd>{s.queues.events.redelivered_last_24h}</dd>
              <dt>Dead-letter queue</dt>
              <dd>
                <code>{s.queues.events.dead_letter_queue}</code>
              </dd>
            </dl>
            <p className="muted">{s.queues.events.hint}</p>
          </section>
        </>
      ) : null}
      <section aria-labelledby="alerts-heading">
        <h2 id="alerts-heading">Alerts</h2>
        <ListState query={alerts} empty="No alert incidents: nothing has gone wrong lately.">
          {(incidents) => (
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Alert incidents, open first, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">State</th>
                    <th scope="col">Alert</th>
                    <th scope="col">Opened</th>
                    <th scope="col">Last seen / resolved</th>
                    <th scope="col">Runbook</th>
                  </tr>
                </thead>
                <tbody>
                  {[...incidents]
                    .sort((a, b) => (a.state === b.state ? 0 : a.state === "open" ? -1 : 1))
                    .map((incident) => (
                      <tr key={incident.id} data-testid="alert-row">
                        <td>
                          <span className={`badge alert-${incident.state}`}>{incident.state}</span>
                        </td>
                        <td>{incident.summary}</td>
                        <td>{when(incident.opened_at)}</td>
                        <td>
                          {incident.resolved_at
                            ? `resolved ${when(incident.resolved_at)}`
                            : when(incident.last_seen_at)}
                        </td>
                        <td>
                          <code>{incident.runbook}</code>
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          )}
        </ListState>
      </section>
    </>
  );
}
