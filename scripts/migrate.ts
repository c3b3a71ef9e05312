// `npm run db:migrate`: apply pending migrations to DATABASE_URL (an owner/admin connection).
import "./env-file.ts";
import { migrate } from "../db/migrate.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("Set DATABASE_URL to the Postgres owner connection, e.g. postgres://sb_owner:…@host:5432/securebase");
  process.exit(2);
}
const { applied, skipped } = await migrate(url);
console.log(`migrations: ${applied.length} applied${applied.length ? ` (${applied.join(", ")})` : ""}, ${skipped.length} already applied`);
