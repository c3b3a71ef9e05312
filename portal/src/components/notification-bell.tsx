// The bell in the signed-in frame's header: the caller's unread notifications (GET
// /v1/notifications?unread=true, polled every 30 s), a link to /notifications. The count is in
// the link's accessible name ("Notifications, 3 unread"). docs/portal.md, "Usage and notifications".
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { api, unwrap } from "../api.ts";

/** One page of unread notifications; "100+" beyond it (the API has no count). */
const PAGE = 100;

export const unreadQuery = {
  queryKey: ["notifications", "unread"] as const,
  queryFn: () => unwrap(api.GET("/v1/notifications", { params: { query: { unread: "true", limit: PAGE } } })),
  refetchInterval: 30_000,
};

export function NotificationBell() {
  const unread = useQuery(unreadQuery);
  const count = unread.data ? `${unread.data.data.length}${unread.data.has_more ? "+" : ""}` : null;
  const label =
    count === null
      ? unread.error
        ? "Notifications (unread count unavailable)"
        : "Notifications"
      : `Notifications, ${count} unread`;
  return (
    <Link to="/notifications" className="bell" aria-label={label} data-testid="notification-bell">
      <svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="20" height="20" className="bell-icon">
        <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
      </svg>
      {count !== null && count !== "0" ? (
        <span className="bell-count" aria-hidden="true">
          {count}
        </span>
      ) : null}
    </Link>
  );
}
