// The router: a root, the public pages, and the signed-in frame (Layout) around the others; each
// page is a lazy route (its own chunk). "/" goes to the overview (or sign-in, via the frame).
import {
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  redirect,
} from "@tanstack/react-router";
import { ApiError } from "./api.ts";
import { Layout } from "./components/layout.tsx";
import { queryClient } from "./query-client.ts";
import { meQuery } from "./session.ts";
import { pages } from "./pages.ts";
import { NotFound } from "./components/not-found.tsx";
import { ErrorState, Loading } from "./components/states.tsx";

const root = createRootRoute({
  component: Outlet,
  notFoundComponent: NotFound,
  errorComponent: ({ error }) => <ErrorState error={error} />,
  pendingComponent: () => <Loading />,
});
// Signed-out visitors of a frame page go to /sign-in and come back after (GET /v1/me is a 401).
const frame = createRoute({
  getParentRoute: () => root,
  id: "frame",
  component: Layout,
  beforeLoad: async ({ location }) => {
    try {
      await queryClient.ensureQueryData(meQuery);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401)
        throw redirect({ to: "/sign-in", search: { next: location.href } });
    }
  },
});
const home = createRoute({
  getParentRoute: () => root,
  path: "/",
  beforeLoad: () => {
    throw redirect({ to: "/overview" });
  },
});

const pageRoutes = pages.map((page) =>
  createRoute({
    getParentRoute: () => (page.public ? root : frame),
    path: page.path,
    component: lazyRouteComponent(page.load),
  }),
);

export const router = createRouter({
  routeTree: root.addChildren([
    home,
    ...pageRoutes.filter((_, i) => pages[i]?.public),
    frame.addChildren(pageRoutes.filter((_, i) => !pages[i]?.public)),
  ]),
  defaultPreload: "intent",
  defaultPendingMinMs: 0,
});
