// Every page: its path and its module, loaded on first visit (one chunk per page). `public` pages
// render without the signed-in frame. To add a page: docs/portal.md, "How to add a page".
export interface Page {
  path: string;
  load: () => Promise<{ default: () => React.ReactNode }>;
  public?: boolean;
}

export const pages: Page[] = [
  { path: "/sign-in", load: () => import("./pages/sign-in.tsx"), public: true },
  { path: "/overview", load: () => import("./pages/overview.tsx") },
];
