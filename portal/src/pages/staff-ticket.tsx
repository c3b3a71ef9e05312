// A ticket in the staff console: the whole thread with internal notes marked apart from public
// replies, a reply box that can post either, assign to me, and status transitions.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { FormError } from "../components/field.tsx";
import { when } from "../components/money.ts";
import { SlaBadge, useNow } from "../components/sla-badge.tsx";
import { StaffNav } from "../components/staff-nav.tsx";
import { ErrorState, ListState, Loading } from "../components/states.tsx";
import { useMe } from "../session.ts";

type Update = components["schemas"]["StaffUpdateSupportTicketRequest"];
type Status = NonNullable<Update["status"]>;
const STATUSES: Status[] = ["open", "in_progress", "waiting_on_customer", "resolved", "closed"];

export default function StaffTicket() {
  const { id = "" } = useParams({ strict: false }) as { id?: string };
  const me = useMe();
  const now = useNow();
  const queryClient = useQueryClient();
  const [body, setBody] = useState("");
  const [internal, setInternal] = useState(false);
  const ticket = useQuery({
    queryKey: ["staff", "ticket", id],
    queryFn: () => unwrap(api.GET("/v1/admin/support/tickets/{id}", { params: { path: { id } } })),
  });
  const comments = useQuery({
    queryKey: ["staff", "ticket", id, "comments"],
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/v1/admin/support/tickets/{id}/comments", { params: { path: { id }, query: { limit: 100 } } }),
        )
      ).data,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["staff", "ticket", id] });
  const comment = useMutation({
    mutationFn: (input: { body: string; internal: boolean }) =>
      unwrap(api.POST("/v1/admin/support/tickets/{id}/comments", { params: { path: { id } }, body: input })),
    onSuccess: async () => {
      setBody("");
      await refresh();
    },
  });
  const update = useMutation({
    mutationFn: (input: Update) =>
      unwrap(api.PATCH("/v1/admin/support/tickets/{id}", { params: { path: { id } }, body: input })),
    onSuccess: refresh,
  });
  if (ticket.isPending) return <Loading />;
  if (ticket.error)
    return (
      <>
        <StaffNav />
        <ErrorState error={ticket.error} />
      </>
    );
  const t = ticket.data;
  const myId = me.data?.user?.id ?? null;
  function submit(event: FormEvent) {
    event.preventDefault();
    comment.mutate({ body, internal });
  }
  return (
    <>
      <StaffNav />
      <p>
        <Link to="/staff/queue">← Queue</Link>
      </p>
      <h1>{t.subject}</h1>
      <p>
        {t.customer.name} ({t.customer.tier}) · <span className="badge">{t.priority}</span>{" "}
        <SlaBadge sla={t.sla} now={now} />
      </p>
      <p className="description">{t.description}</p>
      <div className="actions">
        <label htmlFor="staff-status">Status</label>
        <select
          id="staff-status"
          value={t.status}
          disabled={update.isPending}
          onChange={(e) => update.mutate({ status: e.target.value as Status })}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replaceAll("_", " ")}
            </option>
          ))}
        </select>
        {myId && t.assignee_id !== myId ? (
          <button type="button" onClick={() => update.mutate({ assignee_id: myId })}>
            Assign to me
          </button>
        ) : null}
        {t.assignee_id ? (
          <button type="button" onClick={() => update.mutate({ assignee_id: null })}>
            Unassign
          </button>
        ) : null}
        <span className="muted">
          {t.assignee_id === myId ? "Assigned to you" : t.assignee_id ? "Assigned" : "Unassigned"}
        </span>
      </div>
      <FormError error={update.error} fields={[]} />
      <h2>Thread</h2>
      <ListState query={comments} empty="No comments yet.">
        {(rows) => (
          <ol className="thread">
            {rows.map((c) => (
              <li key={c.id} className={c.internal ? "comment internal-note" : `comment from-${c.author_type}`}>
                <p className="meta">
                  {c.internal ? <strong>Internal note — not visible to the customer</strong> : "Public"} ·{" "}
                  {c.author_type} · {when(c.created_at)}
                </p>
                <p>{c.body}</p>
              </li>
            ))}
          </ol>
        )}
      </ListState>
      <form onSubmit={submit} className="form" aria-label="Comment">
        <div className="field">
          <label htmlFor="staff-body">{internal ? "Internal note" : "Public reply"}</label>
          <textarea id="staff-body" value={body} onChange={(e) => setBody(e.target.value)} required />
        </div>
        <div className="field checkbox">
          <input
            id="staff-internal"
            type="checkbox"
            checked={internal}
            onChange={(e) => setInternal(e.target.checked)}
          />
          <label htmlFor="staff-internal">Internal note (staff only)</label>
        </div>
        <FormError error={comment.error} fields={[]} />
        <button type="submit" disabled={comment.isPending}>
          {internal ? "Add internal note" : "Send reply"}
        </button>
      </form>
    </>
  );
}
