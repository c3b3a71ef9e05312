// Data residency for Durable Objects (docs/residency.md): a customer pinned to `eu` or `fedramp`
// gets its rate-limiter objects from the namespace's jurisdiction view, so Cloudflare creates
// and keeps their state only there. `us` (the default) stays on the global namespace: its
// objects existed before residency did, and moving them would only reset one minute's counters.
//
// workerd (local dev and tests) throws "Jurisdiction restrictions are not implemented": there,
// and only there (ENVIRONMENT development or test), the global namespace stands in.
import type { DataJurisdiction } from "./records-store.ts";

const LOCAL_ENVIRONMENTS = new Set(["development", "test"]);

export function namespaceIn<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  jurisdiction: DataJurisdiction,
  environment: string,
): DurableObjectNamespace<T> {
  if (jurisdiction === "us" || LOCAL_ENVIRONMENTS.has(environment)) return namespace;
  return namespace.jurisdiction(jurisdiction);
}
