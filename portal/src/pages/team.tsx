// Team: users and their roles, invites, and sessions (revocable). Each write is offered only with
// its permission: users:write (roles, deactivate, invites), sessions:write (revoke sessions).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { ListState } from "../components/states.tsx";
import { can, useMe } from "../session.ts";

type Role = components["schemas"]["Role"];
const ROLES: Role[] = ["admin", "billing", "support", "developer", "viewer"];
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

export default function Team() {
  const me = useMe();
  return (
    <>
      <h1>Team</h1>
      <Users writable={can(me.data, "users:write")} selfId={me.data?.user?.id} />
      {can(me.data, "users:read") ? <Invites writable={can(me.data, "users:write")} /> : null}
      {can(me.data, "sessions:read") ? <Sessions writable={can(me.data, "sessions:write")} /> : null}
    </>
  );
}

function Users({ writable, selfId }: { writable: boolean; selfId: string | undefined }) {
  const queryClient = useQueryClient();
  const users = useQuery({
    queryKey: ["users"],
    queryFn: () => unwrap(api.GET("/v1/users", { params: { query: { limit: 100 } } })),
  });
  const update = useMutation({
    mutationFn: (input: { id: string; body: components["schemas"]["UpdateUserRequest"] }) =>
      unwrap(api.PATCH("/v1/users/{id}", { params: { path: { id: input.id } }, body: input.body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["users"] }),
  });
  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <FormError error={update.error} fields={[]} />
      <ListState query={{ ...users, data: users.data?.data }} empty="No users.">
        {(rows) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sign-in</th>
                  {writable ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {rows.map((user) => (
                  <tr key={user.id}>
                    <th scope="row">{user.name}</th>
                    <td>{user.email}</td>
                    <td>
                      {writable && user.id !== selfId ? (
                        <>
                          <label className="sr-only" htmlFor={`role-${user.id}`}>
                            Role of {user.email}
                          </label>
                          <select
                            id={`role-${user.id}`}
                            value={user.role}
                            onChange={(e) => update.mutate({ id: user.id, body: { role: e.target.value as Role } })}
                          >
                            {ROLES.map((role) => (
                              <option key={role} value={role}>
                                {role}
                              </option>
                            ))}
                          </select>
                        </>
                      ) : (
                        user.role
                      )}
                    </td>
                    <td>{user.status}</td>
                    <td>{when(user.last_login_at)}</td>
                    {writable ? (
                      <td>
                        {user.id !== selfId ? (
                          <button
                            type="button"
                            className="secondary"
                            onClick={() =>
                              update.mutate({
                                id: user.id,
                                body: { status: user.status === "active" ? "deactivated" : "active" },
                              })
                            }
                          >
                            {user.status === "active" ? "Deactivate" : "Reactivate"} {user.email}
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
    </section>
  );
}

function Invites({ writable }: { writable: boolean }) {
  const queryClient = useQueryClient();
  const [sent, setSent] = useState<string | null>(null);
  const invites = useQuery({
    queryKey: ["invites"],
    queryFn: () => unwrap(api.GET("/v1/invites", { params: { query: { limit: 100 } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["invites"] });
  const invite = useMutation({
    mutationFn: (body: components["schemas"]["CreateInviteRequest"]) => unwrap(api.POST("/v1/invites", { body })),
    onSuccess: (created) => {
      setSent(created.email);
      void refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/v1/invites/{id}", { params: { path: { id } } })),
    onSuccess: () => void refresh(),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    invite.mutate({ email: String(form.get("email")), role: String(form.get("role")) as Role });
  }
  return (
    <section aria-labelledby="invites-heading">
      <h2 id="invites-heading">Invites</h2>
      {writable ? (
        <form onSubmit={submit} className="panel" aria-label="Invite a user">
          <Field label="Email to invite" name="email" type="email" required error={invite.error} />
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <select id="invite-role" name="role" defaultValue="viewer">
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </select>
          </div>
          <FormError error={invite.error} fields={["body.email"]} />
          <button type="submit" disabled={invite.isPending}>
            Send invite
          </button>
          {sent ? <p role="status">Invite sent to {sent}.</p> : null}
        </form>
      ) : null}
      <FormError error={revoke.error} fields={[]} />
      <ListState query={{ ...invites, data: invites.data?.data }} empty="No invites.">
        {(rows) => (
          <ul>
            {rows.map((row) => (
              <li key={row.id}>
                {row.email} ({row.role}) — {row.status}, expires {when(row.expires_at)}{" "}
                {writable && row.status === "pending" ? (
                  <button type="button" className="link" onClick={() => revoke.mutate(row.id)}>
                    Revoke invite for {row.email}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </ListState>
    </section>
  );
}

function Sessions({ writable }: { writable: boolean }) {
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: ["sessions"],
    queryFn: () => unwrap(api.GET("/v1/sessions", { params: { query: { limit: 100, active: "true" } } })),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/v1/sessions/{id}", { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["sessions"] }),
  });
  return (
    <section aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Active sessions</h2>
      <FormError error={revoke.error} fields={[]} />
      <ListState query={{ ...sessions, data: sessions.data?.data }} empty="No active sessions.">
        {(rows) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Client</th>
                  <th scope="col">Last seen</th>
                  {writable ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {rows.map((session) => (
                  <tr key={session.id}>
                    <th scope="row">
                      {session.user_id.slice(0, 8)}
                      {session.current ? " (this session)" : ""}
                    </th>
                    <td>
                      {session.ip ?? "—"} {session.user_agent ?? ""}
                    </td>
                    <td>{when(session.last_seen_at)}</td>
                    {writable ? (
                      <td>
                        {session.current ? null : (
                          <button type="button" className="secondary" onClick={() => revoke.mutate(session.id)}>
                            Revoke session {session.id.slice(0, 8)}
                          </button>
                        )}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
    </section>
  );
}
