// Builds the portal (portal/, Vite) into public/index.html + public/app/, which the Worker serves
// as static assets (docs/portal.md). Runs on `npm install` (postinstall), `npm run dev`, `.ci/run`
// and `npm run build:portal`; plain JavaScript so any Node can run it. Without devDependencies
// (a production install) there is no Vite: it says so and leaves the portal unbuilt.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(join(root, "node_modules", "vite"))) {
  console.warn("build-portal: vite is not installed; the portal is not built");
  process.exit(0);
}
const { build } = await import("vite");
await build({ configFile: join(root, "portal", "vite.config.ts"), logLevel: process.env.PORTAL_BUILD_LOG ?? "warn" });
console.log("build-portal: portal built into public/ (index.html, app/)");
