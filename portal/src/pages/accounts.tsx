// Managed accounts (docs/portal.md, "Accounts, audit log and activity"): the customer's managed AWS
// accounts (GET /v1/accounts, newest first, filter by status, cursor pages) and, with
// accounts:write, a form to add one (a full tier is the API's 409 naming the limit).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { when } from "../components/money.ts";
import { Field, FormError } from "../components/field.tsx";
import { Pager } from "../components/pager.tsx";
import { ListState } from "../components/states.tsx";
import { can, useMe } from "../session.ts";

type Account = components["schemas"]["ManagedAccount"];
const ENVIRONMENTS: Account["environment"][] = [
  "production",
  "staging",
  "development",
  "sandbox",
  "security",
  "logging",
];
const STATUSES: Account["status"][] = ["provisioning", "active", "suspended", "closed"];
const PAGE = 25;

export default function Accounts() {
  const me = useMe();
  const writable = can(me.data, "accounts:write");
  const [status, setStatus] = useState<Account["status"] | "">("");
  // The cursors of the pages before this one: "Newer" pops, "Older" pushes next_cursor.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const list = useQuery({
    queryKey: ["accounts", status, cursor],
    queryFn: () =>
      unwrap(
        api.GET("/v1/accounts", {
          params: { query: { limit: PAGE, starting_after: cursor, status: status || undefined } },
        }),
      ),
  });
  return (
    <>
      <h1>Managed accounts</h1>
      {writable ? <NewAccount /> : null}
      <h2>Your accounts</h2>
      <div className="field filter-inline">
        <label htmlFor="account-status">Status</label>
        <select
          id="account-status"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as Account["status"] | "");
            setCursors([]);
          }}
        >
          <option value="">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <ListState
        query={{ ...list, data: list.data?.data }}
        empty={status ? `No ${status} accounts.` : "No managed accounts yet."}
      >
        {(rows) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Managed AWS accounts, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Environment</th>
                  <th scope="col">AWS account</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((account) => (
                  <tr key={account.id}>
                    <th scope="row">
                      <Link to="/accounts/$id" params={{ id: account.id }}>
                        {account.name}
                      </Link>
                    </th>
                    <td>{account.environment}</td>
                    <td>{account.aws_account_id ?? <span className="muted">not yet provisioned</span>}</td>
                    <td>
                      <span className={`badge account-${account.status}`}>{account.status}</span>
                    </td>
                    <td>{when(account.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
      <Pager
        newer={cursors.length > 0 ? () => setCursors(cursors.slice(0, -1)) : undefined}
        older={list.data?.next_cursor ? () => setCursors([...cursors, list.data.next_cursor ?? ""]) : undefined}
      />
    </>
  );
}

function NewAccount() {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (body: components["schemas"]["CreateManagedAccountRequest"]) =>
      unwrap(api.POST("/v1/accounts", { body })),
    onSuccess: (account) => {
      setCreated(account.name);
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: ["accounts"] });
    },
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    create.mutate({
      name: String(form.get("name") ?? ""),
      environment: String(form.get("environment")) as Account["environment"],
    });
  }
  if (!open)
    return (
      <div className="actions">
        <button
          type="button"
          onClick={() => {
            setOpen(true);
            setCreated(null);
            create.reset();
          }}
        >
          Add account
        </button>
        {created ? <p role="status">Account {created} is being provisioned.</p> : null}
      </div>
    );
  return (
    <form onSubmit={submit} className="panel" aria-label="Add a managed account">
      <Field label="Account name" name="name" maxLength={100} error={create.error} />
      <div className="field">
        <label htmlFor="account-environment">Environment</label>
        <select id="account-environment" name="environment" defaultValue="production">
          {ENVIRONMENTS.map((env) => (
            <option key={env} value={env}>
              {env}
            </option>
          ))}
        </select>
      </div>
      <FormError error={create.error} fields={["body.name"]} />
      <div className="actions">
        <button type="submit" disabled={create.isPending}>
          Create account
        </button>
        <button type="button" className="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
