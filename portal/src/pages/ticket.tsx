// One ticket as the customer sees it: its public thread (internal notes never reach customers),
// reply, close / reopen.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { api, unwrap } from "../api.ts";
import { FormError } from "../components/field.tsx";
import { when } from "../components/money.ts";
import { SlaBadge, useNow } from "../components/sla-badge.tsx";
import { ErrorState, ListState, Loading } from "../components/states.tsx";
import { can, useMe } from "../session.ts";

export default function Ticket() {
  const { id = "" } = useParams({ strict: false }) as { id?: string };
  const me = useMe();
  const now = useNow();
  const queryClient = useQueryClient();
  const [body, setBody] = useState("");
  const ticket = useQuery({
    queryKey: ["ticket", id],
    queryFn: () => unwrap(api.GET("/v1/support/tickets/{id}", { params: { path: { id } } })),
  });
  const comments = useQuery({
    queryKey: ["ticket", id, "comments"],
    queryFn: async () =>
      (await unwrap(api.GET("/v1/support/tickets/{id}/comments", { params: { path: { id }, query: { limit: 100 } } })))
        .data,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["ticket", id] });
  const reply = useMutation({
    mutationFn: (text: string) =>
      unwrap(api.POST("/v1/support/tickets/{id}/comments", { params: { path: { id } }, body: { body: text } })),
    onSuccess: async () => {
      setBody("");
      await refresh();
    },
  });
  const transition = useMutation({
    mutationFn: (status: "open" | "closed") =>
      unwrap(api.PATCH("/v1/support/tickets/{id}", { params: { path: { id } }, body: { status } })),
    onSuccess: refresh,
  });
  if (ticket.isPending) return <Loading />;
  if (ticket.error) return <ErrorState error={ticket.error} />;
  const t = ticket.data;
  const writable = can(me.data, "support:write");
  function submit(event: FormEvent) {
    event.preventDefault();
    reply.mutate(body);
  }
  return (
    <>
      <p>
        <Link to="/support">← Support</Link>
      </p>
      <h1>{t.subject}</h1>
      <p>
        <span className="badge">{t.priority}</span> <span className="badge">{t.status}</span>{" "}
        <SlaBadge sla={t.sla} now={now} />
      </p>
      <p className="description">{t.description}</p>
      <h2>Conversation</h2>
      <ListState query={comments} empty="No replies yet.">
        {(rows) => (
          <ol className="thread">
            {rows.map((c) => (
              <li key={c.id} className={`comment from-${c.author_type}`}>
                <p className="meta">
                  {c.author_type === "staff" ? "SecureBase support" : c.author_type === "system" ? "System" : "You"} ·{" "}
                  {when(c.created_at)}
                </p>
                <p>{c.body}</p>
              </li>
            ))}
          </ol>
        )}
      </ListState>
      {writable ? (
        <>
          {t.status !== "closed" ? (
            <form onSubmit={submit} className="form" aria-label="Reply">
              <div className="field">
                <label htmlFor="reply-body">Reply</label>
                <textarea id="reply-body" value={body} onChange={(e) => setBody(e.target.value)} required />
              </div>
              <FormError error={reply.error} fields={[]} />
              <button type="submit" disabled={reply.isPending}>
                Send reply
              </button>
            </form>
          ) : null}
          <FormError error={transition.error} fields={[]} />
          <button
            type="button"
            onClick={() => transition.mutate(t.status === "closed" ? "open" : "closed")}
            disabled={transition.isPending}
          >
            {t.status === "closed" ? "Reopen ticket" : "Close ticket"}
          </button>
        </>
      ) : null}
    </>
  );
}
