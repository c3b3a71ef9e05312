// Support: your tickets with their SLA badges, and a form to open one (POST /v1/support/tickets).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { SlaBadge, useNow } from "../components/sla-badge.tsx";
import { ListState } from "../components/states.tsx";
import { can, useMe } from "../session.ts";

type Priority = components["schemas"]["CreateSupportTicketRequest"]["priority"];

export default function Support() {
  const me = useMe();
  const now = useNow();
  const list = useQuery({
    queryKey: ["tickets"],
    queryFn: async () => (await unwrap(api.GET("/v1/support/tickets", { params: { query: { limit: 100 } } }))).data,
  });
  return (
    <>
      <h1>Support</h1>
      {can(me.data, "support:write") ? <NewTicket /> : null}
      <h2>Your tickets</h2>
      <ListState query={list} empty="No tickets yet.">
        {(rows) => (
          <ul className="cards">
            {rows.map((t) => (
              <li key={t.id}>
                <Link to="/support/tickets/$id" params={{ id: t.id }}>
                  {t.subject}
                </Link>{" "}
                <span className="badge">{t.priority}</span> <span className="badge">{t.status}</span>{" "}
                <SlaBadge sla={t.sla} now={now} />
              </li>
            ))}
          </ul>
        )}
      </ListState>
    </>
  );
}

function NewTicket() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [priority, setPriority] = useState<Priority>("medium");
  const create = useMutation({
    mutationFn: (body: components["schemas"]["CreateSupportTicketRequest"]) =>
      unwrap(api.POST("/v1/support/tickets", { body })),
    onSuccess: async (ticket) => {
      await queryClient.invalidateQueries({ queryKey: ["tickets"] });
      await navigate({ to: "/support/tickets/$id", params: { id: ticket.id } });
    },
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    create.mutate({
      subject: String(form.get("subject") ?? ""),
      description: String(form.get("description") ?? ""),
      priority,
    });
  }
  return (
    <form onSubmit={submit} className="form" aria-label="Open a ticket">
      <h2>Open a ticket</h2>
      <Field label="Subject" name="subject" required error={create.error} />
      <Field label="Description" name="description" error={create.error} />
      <div className="field">
        <label htmlFor="ticket-priority">Priority</label>
        <select id="ticket-priority" value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
          <option value="low">Low</option>
          <option value="medium">Medium</option>
          <option value="high">High</option>
          <option value="critical">Critical</option>
        </select>
      </div>
      <FormError error={create.error} fields={["body.subject", "body.description"]} />
      <button type="submit" disabled={create.isPending}>
        Open ticket
      </button>
    </form>
  );
}
