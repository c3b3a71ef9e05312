// Copies Swagger UI's files (the version pinned in package-lock.json) into public/docs/assets/,
// which the Worker serves as static assets (wrangler.toml [assets]) for /docs: no CDN, no
// third-party script on the API's origin, works offline, and adds nothing to the Worker bundle.
// Runs on `npm install` (postinstall); plain JavaScript so any Node can run it.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "node_modules", "swagger-ui-dist");
const to = join(root, "public", "docs", "assets");
if (!existsSync(from)) {
  // A production install without devDependencies: the docs page will say its assets are missing.
  console.warn("docs-assets: swagger-ui-dist is not installed; /docs will have no assets");
  process.exit(0);
}
mkdirSync(to, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"])
  copyFileSync(join(from, file), join(to, file));
