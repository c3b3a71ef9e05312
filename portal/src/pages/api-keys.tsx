// API keys: list, create with scopes (the secret shown once), rotate with a grace period, revoke.
// Write actions only for api_keys:write.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { SecretOnce } from "../components/secret-once.tsx";
import { ListState } from "../components/states.tsx";
import { can, useMe } from "../session.ts";

type Scope = components["schemas"]["CreateApiKeyRequest"]["scopes"][number];
type ApiKey = components["schemas"]["ApiKey"];

export default function ApiKeys() {
  const me = useMe();
  const queryClient = useQueryClient();
  const writable = can(me.data, "api_keys:write");
  const [secret, setSecret] = useState<{ label: string; key: string } | null>(null);
  const [creating, setCreating] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  // Opening the form moves focus to its first field: the button that opened it is gone.
  useEffect(() => {
    if (creating) formRef.current?.querySelector("input")?.focus();
  }, [creating]);
  const keys = useQuery({
    queryKey: ["api-keys"],
    queryFn: () => unwrap(api.GET("/v1/api-keys", { params: { query: { limit: 100 } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["api-keys"] });

  const create = useMutation({
    mutationFn: (body: components["schemas"]["CreateApiKeyRequest"]) => unwrap(api.POST("/v1/api-keys", { body })),
    onSuccess: (created) => {
      setSecret({ label: `New key ${created.name}`, key: created.key });
      setCreating(false);
      void refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: (input: { id: string; grace: number }) =>
      unwrap(
        api.POST("/v1/api-keys/{id}/rotate", {
          params: { path: { id: input.id } },
          body: { grace_period_seconds: input.grace },
        }),
      ),
    onSuccess: (rotated) => {
      setSecret({ label: `Rotated key ${rotated.name}`, key: rotated.key });
      void refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/v1/api-keys/{id}", { params: { path: { id } } })),
    onSuccess: () => void refresh(),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    create.mutate({
      name: String(form.get("name")),
      mode: form.get("mode") === "test" ? "test" : "live",
      scopes: form.getAll("scopes").map(String) as Scope[],
    });
  }

  return (
    <>
      <h1>API keys</h1>
      {secret ? <SecretOnce label={secret.label} secret={secret.key} onDone={() => setSecret(null)} /> : null}
      {writable && !creating ? (
        <button type="button" onClick={() => setCreating(true)}>
          Create key
        </button>
      ) : null}
      {writable && creating ? (
        <form ref={formRef} onSubmit={submit} className="panel" aria-label="Create an API key">
          <Field label="Name" name="name" required error={create.error} />
          <div className="field">
            <label htmlFor="key-mode">Mode</label>
            <select id="key-mode" name="mode" defaultValue="live">
              <option value="live">Live</option>
              <option value="test">Test</option>
            </select>
          </div>
          <fieldset>
            <legend>Scopes</legend>
            {(me.data?.permissions ?? []).map((permission) => (
              <label key={permission} className="check">
                <input type="checkbox" name="scopes" value={permission} /> {permission}
              </label>
            ))}
          </fieldset>
          <FormError error={create.error} fields={["body.name"]} />
          <div className="actions">
            <button type="submit" disabled={create.isPending}>
              Create
            </button>
            <button type="button" className="secondary" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
      <FormError error={rotate.error ?? revoke.error} fields={[]} />
      <ListState query={{ ...keys, data: keys.data?.data }} empty="No API keys yet.">
        {(rows) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">API keys</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  {writable ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {rows.map((key) => (
                  <KeyRow
                    key={key.id}
                    apiKey={key}
                    writable={writable}
                    onRotate={(grace) => rotate.mutate({ id: key.id, grace })}
                    onRevoke={() => {
                      if (window.confirm(`Revoke ${key.name}? It stops working at once.`)) revoke.mutate(key.id);
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
    </>
  );
}

function KeyRow(props: {
  apiKey: ApiKey;
  writable: boolean;
  onRotate: (graceSeconds: number) => void;
  onRevoke: () => void;
}) {
  const { apiKey } = props;
  const [grace, setGrace] = useState("86400");
  const status = apiKey.revoked_at
    ? "Revoked"
    : apiKey.expires_at && Date.parse(apiKey.expires_at) < Date.now()
      ? "Expired"
      : apiKey.rotated_to
        ? `Rotating (until ${new Date(apiKey.expires_at ?? "").toLocaleString()})`
        : "Active";
  const active = !apiKey.revoked_at && !apiKey.rotated_to;
  return (
    <tr>
      <th scope="row">{apiKey.name}</th>
      <td>
        <code>{apiKey.prefix}…</code> ({apiKey.mode})
      </td>
      <td>{apiKey.scopes.join(", ")}</td>
      <td>{apiKey.last_used_at ? new Date(apiKey.last_used_at).toLocaleString() : "Never"}</td>
      <td>{status}</td>
      {props.writable ? (
        <td>
          {active ? (
            <div className="actions">
              <label className="sr-only" htmlFor={`grace-${apiKey.id}`}>
                Grace period for {apiKey.name}
              </label>
              <select id={`grace-${apiKey.id}`} value={grace} onChange={(e) => setGrace(e.target.value)}>
                <option value="0">No grace</option>
                <option value="3600">1 hour</option>
                <option value="86400">24 hours</option>
                <option value="604800">7 days</option>
              </select>
              <button type="button" className="secondary" onClick={() => props.onRotate(Number(grace))}>
                Rotate {apiKey.name}
              </button>
              <button type="button" className="danger" onClick={props.onRevoke}>
                Revoke {apiKey.name}
              </button>
            </div>
          ) : null}
        </td>
      ) : null}
    </tr>
  );
}
