// Layer rules (docs/architecture.md), checked by `npm run lint` in CI. Layers point one way:
//   db/ ← worker/platform ← worker/events, worker/http ← domains ← worker/app.ts ← cron/, queues/
// with the edge front (worker/edge/) beside them: it uses worker/http only, and nothing of the data path uses it;
// and local tooling (dev/, scripts/, test/) sits on top: it may import anything, nothing
// production imports it.
const DOMAINS =
  "^worker/(accounts|admin|analytics|api-keys|audit|auth|billing|cost|customers|dispatch|docs|health|invoices|jobs|notifications|support|usage|users|webhooks)/";
const PRODUCTION = "^(worker|db|cron|queues|services)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "No import cycles, type-only ones included: a cycle makes load order and layering ambiguous.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "db-is-the-bottom",
      comment: "db/ (schema, migrations, migrate, provision) imports nothing of ours outside db/.",
      severity: "error",
      from: { path: "^db/" },
      to: { path: "^(worker|dev|scripts|cron|queues|services|test|client)/" },
    },
    {
      name: "platform-imports-no-domain-and-no-http",
      comment: "worker/platform is the runtime's building blocks: it knows db/ and worker/env.ts, no domain, no HTTP.",
      severity: "error",
      from: { path: "^worker/platform/" },
      to: { path: "^worker/", pathNot: "^worker/(platform/|env\\.ts$)" },
    },
    {
      name: "events-core-imports-no-domain",
      comment: "worker/events (catalogue, outbox, messages) is below the domains that emit and consume events.",
      severity: "error",
      from: { path: "^worker/events/" },
      to: { path: DOMAINS },
    },
    {
      name: "http-imports-no-domain",
      comment: "worker/http is the request plumbing every domain uses; it knows no domain but auth's principal.",
      severity: "error",
      from: { path: "^worker/http/" },
      to: { path: DOMAINS, pathNot: "^worker/auth/" },
    },
    {
      name: "domains-import-no-entry-points",
      comment:
        "Domains are called by routes, cron/ and queues/; they never import those entry points. Only the Worker's entry (worker/index.ts) loads them, and admin status reads the schedule table, which is data.",
      severity: "error",
      from: { path: "^worker/", pathNot: "^worker/index\\.ts$" },
      to: { path: "^(cron|queues)/", pathNot: "^cron/schedule\\.ts$" },
    },
    {
      name: "schedule-is-data",
      comment: "cron/schedule.ts is the schedule table: importing it must load no job.",
      severity: "error",
      from: { path: "^cron/schedule\\.ts$" },
      to: {},
    },
    {
      name: "edge-front-imports-no-data-path",
      comment:
        "The edge front (worker/edge/, deployed near the user) answers from memory, KV and the request alone: request plumbing (http/), the API-key format and encoding only — never the database, a domain or the app. Its local entry (local.ts) runs the data Worker in-process and is exempt.",
      severity: "error",
      from: { path: "^worker/edge/", pathNot: "^worker/edge/local\\.ts$" },
      to: { path: "^worker/", pathNot: "^worker/(edge/|http/|auth/api-key\\.ts$|platform/encoding\\.ts$)" },
    },
    {
      name: "data-path-imports-no-edge-front",
      comment: "The data Worker does not depend on the front in front of it (it keeps every check of its own).",
      severity: "error",
      from: { path: "^(worker|db|cron|queues|services)/", pathNot: "^worker/edge/" },
      to: { path: "^worker/edge/" },
    },
    {
      name: "production-imports-no-local-tooling",
      comment: "Production code never imports dev/, scripts/ or test/.",
      severity: "error",
      from: { path: PRODUCTION },
      to: { path: "^(dev|scripts|test)/" },
    },
    {
      name: "entry-points-are-thin",
      comment: "cron/ and queues/ adapt a trigger to a domain function: no queries of their own.",
      severity: "error",
      from: { path: "^(cron|queues)/" },
      to: { path: "^db/|^node_modules/drizzle-orm" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(node_modules|client/schema\\.d\\.ts)" },
  },
};
