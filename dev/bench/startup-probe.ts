// A build of the Worker for `wrangler check startup` that does at startup what a new isolate's
// first HTTP request does (dev/bench/startup.ts): import the platform and build one domain's
// routes — or, with STARTUP_PROBE_DOMAIN=all, the whole application as the Worker did before
// routes were built on first use. Top-level await makes the startup profile include that work.
// The domain is fixed at build time (esbuild inlines process.env.STARTUP_PROBE_DOMAIN through
// wrangler's --define).
import worker from "../../worker/index.ts";
import { createApp, createPlatformApp } from "../../worker/app.ts";
import { domains } from "../../worker/domains.ts";
export { RateLimiter } from "../../worker/platform/rate-limit-counter.ts";

declare const STARTUP_PROBE_DOMAIN: string;

if (STARTUP_PROBE_DOMAIN === "all") await createApp();
else createPlatformApp([await domains.find((domain) => domain.name === STARTUP_PROBE_DOMAIN)!.routes()]);

export default worker;
