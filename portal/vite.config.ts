// The portal's build (docs/portal.md): portal/ → public/index.html + public/app/*, served by the
// Worker's static assets on the API's origin. public/app/ is emptied first (hashed names pile up
// otherwise); public/docs/ (Swagger UI) is left alone.
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const outDir = fileURLToPath(new URL("../public", import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [
    react(),
    {
      name: "clean-portal-assets",
      apply: "build",
      buildStart() {
        rmSync(`${outDir}/app`, { recursive: true, force: true });
      },
    },
  ],
  build: {
    outDir,
    emptyOutDir: false,
    assetsDir: "app",
    // The strict CSP has no 'unsafe-inline': never inline small assets as data: scripts.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
});
