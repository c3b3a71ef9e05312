// Webhooks (docs/portal.md, "Webhooks"): endpoints (create with the secret shown once, enable,
// disable, rotate the secret, send a test event) and a chosen endpoint's delivery log with each
// delivery's attempts and a retry. Write actions only for webhooks:write.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { SecretOnce } from "../components/secret-once.tsx";
import { ListState } from "../components/states.tsx";
import { can, useMe } from "../session.ts";

type Endpoint = components["schemas"]["WebhookEndpoint"];
type Delivery = components["schemas"]["WebhookDelivery"];

export default function Webhooks() {
  const me = useMe();
  const queryClient = useQueryClient();
  const writable = can(me.data, "webhooks:write");
  const [secret, setSecret] = useState<{ label: string; key: string } | null>(null);
  const [creating, setCreating] = useState(false);
  // /webhooks/endpoints/:id (the link in the "endpoint disabled" email) opens with its deliveries.
  const { id } = useParams({ strict: false }) as { id?: string };
  const [chosen, setChosen] = useState<string | null>(id ?? null);
  const endpoints = useQuery({
    queryKey: ["webhook-endpoints"],
    queryFn: () => unwrap(api.GET("/v1/webhooks/endpoints", { params: { query: { limit: 100 } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["webhook-endpoints"] });
  const create = useMutation({
    mutationFn: (body: components["schemas"]["CreateWebhookEndpointRequest"]) =>
      unwrap(api.POST("/v1/webhooks/endpoints", { body })),
    onSuccess: (created) => {
      setSecret({ label: `Signing secret of ${created.url}`, key: created.secret });
      setCreating(false);
      void refresh();
    },
  });
  const act = useMutation({
    mutationFn: async (input: { id: string; action: "enable" | "disable" | "rotate" | "test" }) => {
      const path = { params: { path: { id: input.id } } };
      if (input.action === "enable") return unwrap(api.POST("/v1/webhooks/endpoints/{id}/enable", path));
      if (input.action === "disable") return unwrap(api.POST("/v1/webhooks/endpoints/{id}/disable", path));
      if (input.action === "test") return unwrap(api.POST("/v1/webhooks/endpoints/{id}/test", path));
      const rotated = await unwrap(
        api.POST("/v1/webhooks/endpoints/{id}/rotate-secret", { ...path, body: { expire_previous_now: false } }),
      );
      setSecret({ label: `New signing secret of ${rotated.url}`, key: rotated.secret });
      return rotated;
    },
    onSuccess: (_, input) => {
      void refresh();
      void queryClient.invalidateQueries({ queryKey: ["webhook-deliveries", input.id] });
    },
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const description = String(form.get("description") ?? "");
    create.mutate({ url: String(form.get("url")), description: description || null, event_types: [] });
  }

  return (
    <>
      <h1>Webhooks</h1>
      {secret ? <SecretOnce label={secret.label} secret={secret.key} onDone={() => setSecret(null)} /> : null}
      {writable && !creating ? (
        <button type="button" onClick={() => setCreating(true)}>
          Add endpoint
        </button>
      ) : null}
      {writable && creating ? (
        <form onSubmit={submit} className="panel" aria-label="Add a webhook endpoint">
          <Field label="Endpoint URL" name="url" type="url" required error={create.error} field="body.url" />
          <Field label="Description" name="description" error={create.error} field="body.description" />
          <FormError error={create.error} fields={["body.url", "body.description"]} />
          <div className="actions">
            <button type="submit" disabled={create.isPending}>
              Add
            </button>
            <button type="button" className="secondary" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
      <FormError error={act.error} fields={[]} />
      <ListState query={{ ...endpoints, data: endpoints.data?.data }} empty="No webhook endpoints yet.">
        {(rows) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Webhook endpoints</caption>
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Description</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((endpoint) => (
                  <EndpointRow
                    key={endpoint.id}
                    endpoint={endpoint}
                    writable={writable}
                    onChoose={() => setChosen(endpoint.id)}
                    onAction={(action) => act.mutate({ id: endpoint.id, action })}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
      {chosen ? <DeliveryLog endpointId={chosen} writable={writable} /> : null}
    </>
  );
}

function EndpointRow(props: {
  endpoint: Endpoint;
  writable: boolean;
  onChoose: () => void;
  onAction: (action: "enable" | "disable" | "rotate" | "test") => void;
}) {
  const { endpoint } = props;
  const enabled = endpoint.status === "enabled";
  return (
    <tr>
      <th scope="row">
        <code>{endpoint.url}</code>
      </th>
      <td>{endpoint.description ?? ""}</td>
      <td>
        {enabled ? "Enabled" : `Disabled (${endpoint.disabled_reason ?? "manual"})`}
        {endpoint.failing_since ? ` · failing since ${new Date(endpoint.failing_since).toLocaleString()}` : ""}
      </td>
      <td>
        <div className="actions">
          <button type="button" className="secondary" onClick={props.onChoose}>
            Deliveries of {endpoint.url}
          </button>
          {props.writable ? (
            <>
              <button type="button" className="secondary" onClick={() => props.onAction("test")}>
                Send test to {endpoint.url}
              </button>
              <button type="button" className="secondary" onClick={() => props.onAction("rotate")}>
                Rotate secret of {endpoint.url}
              </button>
              <button
                type="button"
                className={enabled ? "danger" : "secondary"}
                onClick={() => props.onAction(enabled ? "disable" : "enable")}
              >
                {enabled ? "Disable" : "Enable"} {endpoint.url}
              </button>
            </>
          ) : null}
        </div>
      </td>
    </tr>
  );
}

function DeliveryLog({ endpointId, writable }: { endpointId: string; writable: boolean }) {
  const deliveries = useQuery({
    queryKey: ["webhook-deliveries", endpointId],
    queryFn: () =>
      unwrap(
        api.GET("/v1/webhooks/endpoints/{id}/deliveries", {
          params: { path: { id: endpointId }, query: { limit: 50 } },
        }),
      ),
    // Deliveries move on by themselves (retries are scheduled), so the log refreshes.
    refetchInterval: 5_000,
  });
  return (
    <section aria-labelledby="deliveries-heading">
      <h2 id="deliveries-heading">Deliveries</h2>
      <ListState query={{ ...deliveries, data: deliveries.data?.data }} empty="No deliveries yet.">
        {(rows) => (
          <ul className="deliveries">
            {rows.map((delivery) => (
              <DeliveryItem key={delivery.id} delivery={delivery} writable={writable} />
            ))}
          </ul>
        )}
      </ListState>
    </section>
  );
}

function DeliveryItem({ delivery, writable }: { delivery: Delivery; writable: boolean }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const detail = useQuery({
    queryKey: ["webhook-delivery", delivery.id, delivery.updated_at],
    queryFn: () => unwrap(api.GET("/v1/webhooks/deliveries/{id}", { params: { path: { id: delivery.id } } })),
    enabled: open,
  });
  const retry = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/webhooks/deliveries/{id}/retry", { params: { path: { id: delivery.id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["webhook-deliveries", delivery.endpoint_id] }),
  });
  const label = `${delivery.event_type} ${delivery.event_id}`;
  return (
    <li className="panel" data-testid="delivery" aria-label={`Delivery ${label}`}>
      <p>
        <strong>{delivery.event_type}</strong> · <span data-testid="delivery-status">{delivery.status}</span> ·{" "}
        {delivery.attempt_count} attempt{delivery.attempt_count === 1 ? "" : "s"}
        {delivery.last_status_code ? ` · last HTTP ${delivery.last_status_code}` : ""}
      </p>
      <div className="actions">
        <button type="button" className="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
          Attempts of {label}
        </button>
        {writable && delivery.status !== "succeeded" ? (
          <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending}>
            Retry {label}
          </button>
        ) : null}
      </div>
      <FormError error={retry.error} fields={[]} />
      {open ? (
        <ListState query={{ ...detail, data: detail.data?.attempts }} empty="No attempts yet.">
          {(attempts) => (
            <table>
              <caption className="sr-only">Attempts of {label}</caption>
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  <th scope="col">At</th>
                  <th scope="col">HTTP status</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {attempts.map((attempt) => (
                  <tr key={attempt.attempt_number} data-testid="attempt">
                    <th scope="row">{attempt.attempt_number}</th>
                    <td>{new Date(attempt.attempted_at).toLocaleString()}</td>
                    <td>{attempt.status_code ?? "no response"}</td>
                    <td>{attempt.latency_ms === null ? "" : `${attempt.latency_ms} ms`}</td>
                    <td>{attempt.error ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </ListState>
      ) : null}
    </li>
  );
}
