// Where a customer's records outside Postgres live (audit archive, data exports): the R2 bucket of
// the customer's data jurisdiction, so objects of a pinned customer are created there and nowhere
// else (docs/residency.md). One binding per jurisdiction (wrangler.toml [[r2_buckets]]).
import type { Env } from "../env.ts";

export const dataJurisdictions = ["us", "eu", "fedramp"] as const;
export type DataJurisdiction = (typeof dataJurisdictions)[number];

type RecordsBindings = Pick<Env, "RECORDS_US" | "RECORDS_EU" | "RECORDS_FEDRAMP">;

export function recordsBucket(env: RecordsBindings, jurisdiction: DataJurisdiction): R2Bucket {
  switch (jurisdiction) {
    case "eu":
      return env.RECORDS_EU;
    case "fedramp":
      return env.RECORDS_FEDRAMP;
    default:
      return env.RECORDS_US;
  }
}
