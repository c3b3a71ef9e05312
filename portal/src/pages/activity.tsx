// Activity feed (GET /v1/activity, any signed-in user): recent changes in the account as sentences,
// newest first, with relative times and a link to the thing when the portal has a page for it.
import { useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api.ts";
import { actorText, RelativeTime, ResourceLink } from "../components/audit-display.tsx";
import { ListState } from "../components/states.tsx";

/** The summary as a sentence: capitalized, ending with a full stop. */
const sentence = (text: string) => {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
};

export default function Activity() {
  const feed = useInfiniteQuery({
    queryKey: ["activity"],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/v1/activity", { params: { query: { limit: 25, starting_after: pageParam } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 30_000,
  });
  const rows = feed.data?.pages.flatMap((p) => p.data);
  return (
    <>
      <h1>Activity</h1>
      <p className="muted">Recent changes in your organization, newest first.</p>
      <ListState query={{ ...feed, data: rows }} empty="Nothing has happened yet.">
        {(items) => (
          <ul className="cards activity">
            {items.map((item) => (
              <li key={item.id}>
                <p className="sentence">
                  {sentence(item.summary)}{" "}
                  <ResourceLink resource={item.resource}>
                    <span className="sr-only">{item.summary}: </span>View
                  </ResourceLink>
                </p>
                <p className="muted meta">
                  <RelativeTime iso={item.occurred_at} /> · {actorText(item.actor)}
                </p>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      {feed.hasNextPage ? (
        <button
          type="button"
          className="secondary"
          onClick={() => void feed.fetchNextPage()}
          disabled={feed.isFetchingNextPage}
        >
          {feed.isFetchingNextPage ? "Loading…" : "Show older activity"}
        </button>
      ) : null}
    </>
  );
}
