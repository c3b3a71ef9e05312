// The signed-in frame: header, navigation gated by the caller's permissions, sign-out, and the
// page. Not signed in (GET /v1/me is a 401): off to /sign-in, coming back here afterwards.
import { useQueryClient } from "@tanstack/react-query";
import { Link, Navigate, Outlet, useLocation, useNavigate } from "@tanstack/react-router";
import { ApiError, api, setCsrfToken } from "../api.ts";
import { nav } from "../nav.ts";
import { can, useMe } from "../session.ts";
import { ErrorState, Loading } from "./states.tsx";

export function Layout() {
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  if (me.isPending) return <Loading what="Signing in" />;
  if (me.error instanceof ApiError && me.error.status === 401)
    return <Navigate to="/sign-in" search={{ next: location.href }} replace />;
  if (me.error) return <ErrorState error={me.error} />;
  const principal = me.data;
  const items = nav.filter((item) =>
    item.staff ? principal.super_admin : item.permission === null || can(principal, item.permission),
  );

  async function signOut() {
    await api.POST("/v1/auth/logout").catch(() => undefined);
    setCsrfToken(null);
    queryClient.clear();
    await navigate({ to: "/sign-in" });
  }

  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">SecureBase</span>
        <span className="who">
          {principal.user?.name ?? principal.user?.email} · {principal.customer.name}
        </span>
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Main" className="nav">
        <ul>
          {items.map((item) => (
            <li key={item.to}>
              <Link to={item.to} activeProps={{ "aria-current": "page", className: "active" }}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
