// The caller's address, for audit events and per-IP throttles.
import type { AppContext } from "./context.ts";

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^[0-9a-f:.]+$/i;

/** The caller's address as Cloudflare saw it; anything unparseable is recorded as unknown. */
export function clientIp(c: AppContext): string | null {
  const ip = c.req.header("cf-connecting-ip")?.trim() ?? "";
  return IPV4.test(ip) || (ip.includes(":") && IPV6.test(ip)) ? ip : null;
}
