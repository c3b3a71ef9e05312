// The signed-in frame: header, navigation gated by the caller's permissions, sign-out, and the
// page. Not signed in (GET /v1/me is a 401): off to /sign-in, coming back here afterwards.
import { useQueryClient } from "@tanstack/react-query";
import { Link, Outlet, useLocation, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { ApiError, api, setCsrfToken } from "../api.ts";
import { nav } from "../nav.ts";
import { can, useMe } from "../session.ts";
import { NotificationBell } from "./notification-bell.tsx";
import { ErrorState, Loading } from "./states.tsx";

export function Layout() {
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  // Below 640 px the navigation folds behind a Menu button (docs/portal.md, "Keyboard and narrow screens").
  const [menuOpen, setMenuOpen] = useState(false);
  if (me.isPending) return <Loading what="Signing in" />;
  // The session ended while here (the route's beforeLoad handles arriving signed out): a link,
  // not an automatic redirect, which re-rendered in a loop while the cache was being cleared.
  if (me.error instanceof ApiError && me.error.status === 401)
    return (
      <main id="main" className="narrow">
        <p>
          Your session has ended.{" "}
          <Link to="/sign-in" search={{ next: location.href }}>
            Sign in again
          </Link>
        </p>
      </main>
    );
  if (me.error) return <ErrorState error={me.error} />;
  const principal = me.data;
  const items = nav.filter((item) =>
    item.staff ? principal.super_admin : item.permission === null || can(principal, item.permission),
  );

  async function signOut() {
    await api.POST("/v1/auth/logout").catch(() => undefined);
    setCsrfToken(null);
    // Leave the frame first, then forget the cached data (the frame would refetch GET /v1/me).
    await navigate({ to: "/sign-in" });
    queryClient.clear();
  }

  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">SecureBase</span>
        <button
          type="button"
          className="secondary menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <span className="who">
          {principal.user?.name ?? principal.user?.email} · {principal.customer.name}
        </span>
        {can(principal, "notifications:read") ? <NotificationBell /> : null}
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav id="main-nav" aria-label="Main" className={menuOpen ? "nav open" : "nav"}>
        <ul>
          {items.map((item) => (
            <li key={item.to}>
              <Link
                to={item.to}
                activeProps={{ "aria-current": "page", className: "active" }}
                onClick={() => setMenuOpen(false)}
              >
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
