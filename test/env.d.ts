// Types for `cloudflare:workers` env/exports inside tests: the Worker's own bindings and main module.
import type { Env as WorkerEnv } from "../worker/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
    interface GlobalProps {
      mainModule: typeof import("../worker/index.ts");
    }
  }
}
