// Loading, empty and error states every page uses: an error names the problem's detail and the
// request id to quote to support.
import type { ReactNode } from "react";
import { ApiError } from "../api.ts";

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function ErrorState({ error }: { error: unknown }) {
  const detail = error instanceof ApiError ? error.problem.detail : "Something went wrong.";
  const title = error instanceof ApiError ? error.problem.title : "Error";
  const requestId = error instanceof ApiError ? error.requestId : null;
  return (
    <div className="state error" role="alert">
      <strong>{title}</strong>
      <p>{detail}</p>
      {requestId ? (
        <p className="request-id">
          Request id: <code>{requestId}</code>
        </p>
      ) : null}
    </div>
  );
}

/** One of loading / error / empty / the content, for a react-query result holding a list. */
export function ListState<T>(props: {
  query: { isPending: boolean; error: unknown; data: T[] | undefined };
  empty: ReactNode;
  children: (rows: T[]) => ReactNode;
}) {
  const { isPending, error, data } = props.query;
  if (isPending) return <Loading />;
  if (error) return <ErrorState error={error} />;
  if (!data || data.length === 0) return <Empty>{props.empty}</Empty>;
  return <>{props.children(data)}</>;
}
