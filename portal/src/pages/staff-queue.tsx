// Staff support queue (super_admin): every customer's tickets, the nearest SLA deadline first (the
// API orders them), with live countdowns.
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { api, unwrap } from "../api.ts";
import { SlaBadge, useNow } from "../components/sla-badge.tsx";
import { StaffNav } from "../components/staff-nav.tsx";
import { ListState } from "../components/states.tsx";

export default function StaffQueue() {
  const now = useNow();
  const queue = useQuery({
    queryKey: ["staff", "tickets"],
    queryFn: async () =>
      (await unwrap(api.GET("/v1/admin/support/tickets", { params: { query: { limit: 100 } } }))).data,
    refetchInterval: 30_000,
  });
  return (
    <>
      <StaffNav />
      <h1>Support queue</h1>
      <p>All customers' tickets, the nearest SLA deadline first.</p>
      <ListState query={queue} empty="The queue is empty.">
        {(rows) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Ticket</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Priority</th>
                  <th scope="col">Status</th>
                  <th scope="col">SLA</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => (
                  <tr key={t.id} data-testid="queue-row">
                    <td>
                      <Link to="/staff/tickets/$id" params={{ id: t.id }}>
                        {t.subject}
                      </Link>
                    </td>
                    <td>
                      {t.customer.name} <span className="muted">({t.customer.tier})</span>
                    </td>
                    <td>{t.priority}</td>
                    <td>
                      {t.status}
                      {t.assignee_id ? "" : " · unassigned"}
                    </td>
                    <td>
                      <SlaBadge sla={t.sla} now={now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
    </>
  );
}
