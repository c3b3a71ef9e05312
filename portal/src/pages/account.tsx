// One managed account (GET /v1/accounts/{id}): its facts; with accounts:write rename it (PATCH) or
// close it (DELETE, which frees its tier slot); with audit:read its audit trail.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { api, unwrap } from "../api.ts";
import { actorText, exact } from "../components/audit-display.tsx";
import { Field, FormError } from "../components/field.tsx";
import { when } from "../components/money.ts";
import { ErrorState, ListState, Loading } from "../components/states.tsx";
import { can, useMe } from "../session.ts";

export default function Account() {
  const { id = "" } = useParams({ strict: false }) as { id?: string };
  const me = useMe();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const account = useQuery({
    queryKey: ["account", id],
    queryFn: () => unwrap(api.GET("/v1/accounts/{id}", { params: { path: { id } } })),
  });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["account", id] });
    void queryClient.invalidateQueries({ queryKey: ["accounts"] });
    void queryClient.invalidateQueries({ queryKey: ["account-audit", id] });
  };
  const rename = useMutation({
    mutationFn: (name: string) => unwrap(api.PATCH("/v1/accounts/{id}", { params: { path: { id } }, body: { name } })),
    onSuccess: refresh,
  });
  const close = useMutation({
    mutationFn: () => unwrap(api.DELETE("/v1/accounts/{id}", { params: { path: { id } } })),
    onSuccess: () => {
      setConfirming(false);
      refresh();
    },
  });
  if (account.isPending) return <Loading />;
  if (account.error) return <ErrorState error={account.error} />;
  const a = account.data;
  const writable = can(me.data, "accounts:write") && a.status !== "closed";

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    rename.mutate(String(new FormData(event.currentTarget).get("name") ?? ""));
  }

  return (
    <>
      <p>
        <Link to="/accounts">← Managed accounts</Link>
      </p>
      <h1>Account {a.name}</h1>
      <dl className="facts">
        <dt>Environment</dt>
        <dd>{a.environment}</dd>
        <dt>Status</dt>
        <dd>
          <span className={`badge account-${a.status}`}>{a.status}</span>
        </dd>
        <dt>AWS account</dt>
        <dd>{a.aws_account_id ?? "not yet provisioned"}</dd>
        <dt>Created</dt>
        <dd>{when(a.created_at)}</dd>
        {a.closed_at ? (
          <>
            <dt>Closed</dt>
            <dd>{when(a.closed_at)}</dd>
          </>
        ) : null}
      </dl>
      {writable ? (
        <section aria-labelledby="edit-heading">
          <h2 id="edit-heading">Edit</h2>
          <form onSubmit={submit} className="panel" aria-label="Rename the account" key={a.name}>
            <Field label="Account name" name="name" defaultValue={a.name} maxLength={100} error={rename.error} />
            <FormError error={rename.error} fields={["body.name"]} />
            <button type="submit" disabled={rename.isPending}>
              Save name
            </button>
            {rename.isSuccess ? <p role="status">Saved.</p> : null}
          </form>
          <div className="actions">
            {confirming ? (
              <>
                <span>Close {a.name}? Its slot is freed; this cannot be undone here.</span>
                <button type="button" className="danger" onClick={() => close.mutate()} disabled={close.isPending}>
                  Yes, close {a.name}
                </button>
                <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                  Keep it
                </button>
              </>
            ) : (
              <button type="button" className="secondary" onClick={() => setConfirming(true)}>
                Close account
              </button>
            )}
          </div>
          <FormError error={close.error} fields={[]} />
        </section>
      ) : null}
      {can(me.data, "audit:read") ? <AccountAudit id={id} /> : null}
    </>
  );
}

function AccountAudit({ id }: { id: string }) {
  const events = useQuery({
    queryKey: ["account-audit", id],
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/v1/audit-events", {
            params: { query: { resource_type: "managed_account", resource_id: id, limit: 20 } },
          }),
        )
      ).data,
  });
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      <ListState query={events} empty="No audit events for this account.">
        {(rows) => (
          <ul className="cards">
            {rows.map((e) => (
              <li key={e.id}>
                <Link to="/audit/events/$id" params={{ id: e.id }}>
                  {e.summary}
                </Link>{" "}
                <span className="muted">
                  {exact(e.occurred_at)} · {actorText(e.actor)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </ListState>
    </section>
  );
}
