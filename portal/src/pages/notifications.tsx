// Notifications: the caller's in-app notifications (read / unread, mark one or all read, the
// link each carries) and their preferences per event and channel, security mail locked on.
// docs/portal.md, "Usage and notifications"; the API: worker/notifications/routes.ts.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { Fragment } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, unwrap } from "../api.ts";
import { FormError } from "../components/field.tsx";
import { when } from "../components/money.ts";
import { ListState } from "../components/states.tsx";
import { can, useMe } from "../session.ts";

type Notification = components["schemas"]["Notification"];
type Preference = components["schemas"]["NotificationPreference"];

export default function Notifications() {
  const me = useMe();
  return (
    <>
      <h1>Notifications</h1>
      <Inbox writable={can(me.data, "notifications:write")} />
      <Preferences writable={can(me.data, "notifications:write")} />
    </>
  );
}

function Inbox({ writable }: { writable: boolean }) {
  const queryClient = useQueryClient();
  const list = useInfiniteQuery({
    queryKey: ["notifications", "list"],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/v1/notifications", {
          params: { query: { limit: 25, ...(pageParam ? { starting_after: pageParam } : {}) } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
  // Both the list and the bell's unread count start with "notifications".
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["notifications"] });
  const readOne = useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/v1/notifications/{id}/read", { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const readAll = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/notifications/read-all")),
    onSuccess: refresh,
  });
  const rows = list.data?.pages.flatMap((p) => p.data);
  const anyUnread = rows?.some((n) => n.read_at === null) ?? false;

  return (
    <section aria-labelledby="inbox-heading">
      <h2 id="inbox-heading">Inbox</h2>
      {writable ? (
        <div className="actions">
          <button type="button" onClick={() => readAll.mutate()} disabled={readAll.isPending || !anyUnread}>
            Mark all read
          </button>
          {readAll.data ? <span role="status">{readAll.data.updated} marked read.</span> : null}
        </div>
      ) : null}
      <FormError error={readAll.error ?? readOne.error} fields={[]} />
      <ListState query={{ ...list, data: rows }} empty="No notifications in the last 30 days.">
        {(items) => (
          <>
            <ul className="notification-list">
              {items.map((n) => (
                <NotificationItem key={n.id} notification={n} writable={writable} onRead={readOne.mutate} />
              ))}
            </ul>
            {list.hasNextPage ? (
              <button
                type="button"
                className="secondary"
                onClick={() => list.fetchNextPage()}
                disabled={list.isFetchingNextPage}
              >
                Show older
              </button>
            ) : null}
          </>
        )}
      </ListState>
    </section>
  );
}

function NotificationItem(props: { notification: Notification; writable: boolean; onRead: (id: string) => void }) {
  const n = props.notification;
  const unread = n.read_at === null;
  return (
    <li className={unread ? "notification unread" : "notification"} data-testid="notification">
      <p className="meta">
        <span className={unread ? "badge unread-badge" : "badge"}>{unread ? "Unread" : "Read"}</span>{" "}
        <span className="muted">
          {n.category} · {when(n.created_at)}
        </span>
      </p>
      <h3>{n.title}</h3>
      <p className="notification-body">
        <Body text={n.body} />
      </p>
      {unread && props.writable ? (
        <button type="button" className="link" onClick={() => props.onRead(n.id)}>
          Mark read<span className="sr-only">: {n.title}</span>
        </button>
      ) : null}
    </li>
  );
}

// In-app bodies carry relative links ("View it: /invoices/…"; docs/portal.md, "Links in email"):
// portal pages open in the app, API documents (/v1/…) as plain links.
const RELATIVE_LINK = /(^|\s)(\/[A-Za-z0-9][^\s]*)/g;

function Body({ text }: { text: string }) {
  const parts: React.ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(RELATIVE_LINK)) {
    const path = match[2] ?? "";
    const start = (match.index ?? 0) + (match[1]?.length ?? 0);
    parts.push(text.slice(last, start));
    parts.push(
      path.startsWith("/v1/") ? (
        <a key={start} href={path}>
          {path}
        </a>
      ) : (
        <Link key={start} to={path}>
          {path}
        </Link>
      ),
    );
    last = start + path.length;
  }
  parts.push(text.slice(last));
  return (
    <>
      {parts.map((part, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed text, never reordered
        <Fragment key={i}>{part}</Fragment>
      ))}
    </>
  );
}

const CHANNELS = [
  { channel: "in_app", label: "In the portal" },
  { channel: "email", label: "Email" },
] as const;

/** "invoice.payment_overdue" -> "Invoice payment overdue", "api_key.revoked" -> "API key revoked". */
const eventLabel = (type: string) => {
  const words = type.replace(/[._]/g, " ").replace(/^api\b/, "API");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

function Preferences({ writable }: { writable: boolean }) {
  const queryClient = useQueryClient();
  const preferences = useQuery({
    queryKey: ["notification-preferences"],
    queryFn: () => unwrap(api.GET("/v1/notifications/preferences")),
  });
  const save = useMutation({
    mutationFn: (change: Pick<Preference, "event_type" | "channel" | "enabled">) =>
      unwrap(api.PUT("/v1/notifications/preferences", { body: { preferences: [change] } })),
    onSuccess: (data) => queryClient.setQueryData(["notification-preferences"], data),
  });
  const rows = preferences.data?.data;
  const events = [...new Set(rows?.map((p) => p.event_type))];
  const find = (event: string, channel: string) => rows?.find((p) => p.event_type === event && p.channel === channel);

  return (
    <section aria-labelledby="preferences-heading">
      <h2 id="preferences-heading">Preferences</h2>
      <p className="muted" id="locked-reason">
        Security mail (such as a revoked API key) is always sent by email and cannot be switched off.
      </p>
      {writable ? null : <p className="muted">Your role can see these preferences but not change them.</p>}
      <FormError error={save.error} fields={[]} />
      <ListState
        query={{ ...preferences, data: rows ? events : undefined }}
        empty="No notification events apply to you."
      >
        {(list) => (
          <div className="table-wrap">
            <table className="preferences">
              <caption className="sr-only">Notifications you receive, per event and channel</caption>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  {CHANNELS.map((c) => (
                    <th scope="col" key={c.channel}>
                      {c.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {list.map((event) => (
                  <tr key={event}>
                    <th scope="row">{eventLabel(event)}</th>
                    {CHANNELS.map(({ channel, label }) => {
                      const p = find(event, channel);
                      if (!p) return <td key={channel}>—</td>;
                      const id = `pref-${event}-${channel}`;
                      return (
                        <td key={channel}>
                          <input
                            type="checkbox"
                            id={id}
                            checked={p.enabled}
                            disabled={!writable || p.locked}
                            aria-describedby={p.locked ? "locked-reason" : undefined}
                            onChange={(e) =>
                              save.mutate({ event_type: p.event_type, channel, enabled: e.target.checked })
                            }
                          />
                          <label htmlFor={id} className="sr-only">
                            {eventLabel(event)}: {label}
                          </label>
                          {p.locked ? <span className="muted"> always on</span> : null}
                        </td>
                      );
                    })}
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
