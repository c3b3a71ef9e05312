// The Hono context of a request: the Worker's bindings plus what the platform middleware sets
// (request id, the request's database entry point, the authenticated principal).
import type { Context } from "hono";
import type { Principal } from "../auth/principal.ts";
import type { Env } from "../env.ts";
import type { RequestDatabase } from "../platform/database.ts";

export interface AppVariables {
  requestId: string;
  db: RequestDatabase;
  principal: Principal;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

export type AppContext = Context<AppEnv>;
