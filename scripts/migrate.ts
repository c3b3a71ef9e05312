// `npm run db:migrate`: apply pending migrations to DATABASE_URL (the owner connection), then,
// when their variables are set, the rest of what a deployed database needs (docs/deploy.md):
//
//   MASTER_DATABASE_URL     RDS master user, first deploy only: creates the owner role named in
//                           DATABASE_URL (with its password) and the database it owns
//   SB_API_PASSWORD, SB_JOBS_PASSWORD, SB_ANALYTICS_PASSWORD
//                           login passwords of sb_api / sb_jobs / sb_analytics (Secrets Manager)
//   DB_CONTEXT_KEY          kid:base64url secret the Worker signs tenant contexts with: installed
//                           into app_private.context_keys (re-activated if it was retired)
//   DB_CONTEXT_KEY_RETIRE   comma-separated kids to retire after a rotation
//
// Every step is idempotent. Values are checked before anything connects.
import "../dev/env-file.ts";
import { migrate } from "../db/migrate.ts";
import {
  bootstrapOwner,
  installWorkerContextKey,
  ownerFromUrl,
  parseContextKey,
  retireContextKeys,
  setRolePasswords,
} from "../db/provision.ts";

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const env = process.env;
const url = env.DATABASE_URL;
if (!url) fail("Set DATABASE_URL to the Postgres owner connection, e.g. postgres://sb_owner:…@host:5432/securebase");

const passwords: Record<string, string> = {};
for (const [role, variable] of [
  ["sb_api", "SB_API_PASSWORD"],
  ["sb_jobs", "SB_JOBS_PASSWORD"],
  ["sb_analytics", "SB_ANALYTICS_PASSWORD"],
] as const) {
  const value = env[variable];
  if (value === undefined || value === "") continue;
  if (value.length < 16) fail(`${variable} must be at least 16 characters`);
  passwords[role] = value;
}
let activeKid: string | undefined;
try {
  if (env.DB_CONTEXT_KEY) activeKid = parseContextKey(env.DB_CONTEXT_KEY).kid;
} catch (error) {
  fail((error as Error).message);
}
const retire = (env.DB_CONTEXT_KEY_RETIRE ?? "")
  .split(",")
  .map((kid) => kid.trim())
  .filter(Boolean);
if (activeKid && retire.includes(activeKid)) fail(`DB_CONTEXT_KEY_RETIRE names ${activeKid}, the key being installed`);

try {
  if (env.MASTER_DATABASE_URL) {
    const owner = ownerFromUrl(url);
    const { createdRole, createdDatabase, handedOver } = await bootstrapOwner(env.MASTER_DATABASE_URL, owner);
    const database = createdDatabase ? "created" : handedOver ? `handed to ${owner.user}` : "exists";
    console.log(
      `owner: role ${owner.user} ${createdRole ? "created" : "password set"}, database ${owner.database} ${database}`,
    );
  }
  const { applied, skipped } = await migrate(url);
  console.log(
    `migrations: ${applied.length} applied${applied.length ? ` (${applied.join(", ")})` : ""}, ${skipped.length} already applied`,
  );
  if (Object.keys(passwords).length)
    console.log(`passwords: set for ${(await setRolePasswords(url, passwords)).join(", ")}`);
  if (env.DB_CONTEXT_KEY) console.log(`context key: ${await installWorkerContextKey(url, env.DB_CONTEXT_KEY)} active`);
  if (retire.length)
    console.log(
      `context keys retired: ${(await retireContextKeys(url, retire, activeKid)).join(", ") || "none (already retired or unknown)"}`,
    );
} catch (error) {
  console.error(`db:migrate failed: ${(error as Error).message}`);
  process.exit(1);
}
