// The edge front's Worker entry (wrangler.edge.toml): runs where the user is, answers refusals,
// liveness and static content there, and hands everything else to the data Worker — placed next
// to the database — over the DATA service binding (docs/architecture.md, "Where each part runs").
import { createEdgeFront, type EdgeEnv } from "./front.ts";

export interface EdgeWorkerEnv extends EdgeEnv {
  /** Service binding to the data Worker (wrangler.toml's environment of the same name). */
  DATA: Fetcher;
}

const front = createEdgeFront<EdgeWorkerEnv>((request, env) => env.DATA.fetch(request));

export default {
  fetch: (request, env, ctx) => front.fetch(request, env, ctx),
} satisfies ExportedHandler<EdgeWorkerEnv>;
