// Which webhook URLs the platform will call (SSRF). Unless ENVIRONMENT is exactly "development"
// or "test" (set by `npm run dev` and the tests, never by wrangler.toml: an unset or unknown value
// keeps the guard on) an
// endpoint must be https on port 443, carry no credentials, name a host (not an IP literal), and
// every address that host resolves to (DNS over HTTPS, A and AAAA) must be public: not loopback,
// private, link-local, CGNAT, multicast, reserved or a cloud metadata address, IPv4 or IPv6.
// Checked at create/update (422) and again before every delivery.
//
// What a Worker cannot check: it has no DNS API and fetch() resolves the name again, so a host
// that answers DoH with a public address and fetch with a private one (DNS rebinding) is not
// caught here. Cloudflare's egress does not reach private networks from fetch(), which closes
// most of that window; the `global_fetch_strictly_public` compatibility flag (set for
// [env.staging] and [env.production] in wrangler.toml; locally it would refuse the 127.0.0.1
// receivers of the tests and `npm run dev`) makes it explicit. See docs/security.md.
import type { Env } from "../env.ts";

export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "multicast"
  | "metadata"
  | "unspecified"
  | "reserved";

const METADATA_V4 = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192"]);

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function classifyIpv4(bytes: number[]): AddressClass {
  const [a = 0, b = 0, c = 0, d = 0] = bytes;
  if (METADATA_V4.has(`${a}.${b}.${c}.${d}`)) return "metadata";
  if (a === 0) return "unspecified";
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 169 && b === 254) return "link_local";
  if (a === 100 && b >= 64 && b <= 127) return "cgnat";
  if (a >= 224 && a <= 239) return "multicast";
  // 192.0.0/24 protocol assignments, 192.0.2/24 · 198.51.100/24 · 203.0.113/24 documentation,
  // 198.18/15 benchmarking, 240/4 reserved and broadcast.
  if (
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100)
  )
    return "reserved";
  if ((a === 203 && b === 0 && c === 113) || a >= 240) return "reserved";
  return "public";
}

/** Eight 16-bit groups, or undefined when `text` is not an IPv6 address. */
function parseIpv6(text: string): number[] | undefined {
  let address = text.toLowerCase().replace(/%.*$/, "");
  const v4 = address.match(/(\d{1,3}(?:\.\d{1,3}){3})$/);
  if (v4) {
    const bytes = parseIpv4(v4[1]!);
    if (!bytes) return undefined;
    address =
      address.slice(0, -v4[1]!.length) +
      `${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}

function classifyIpv6(g: number[]): AddressClass {
  const embeddedV4 = () => [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff];
  if (g.every((x) => x === 0)) return "unspecified";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96) carry an IPv4 address.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return classifyIpv4(embeddedV4());
  // IPv4-translated (::ffff:0:a.b.c.d, RFC 2765) likewise.
  if (g.slice(0, 4).every((x) => x === 0) && g[4] === 0xffff && g[5] === 0) return classifyIpv4(embeddedV4());
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyIpv4(embeddedV4());
  // Local-use NAT64 (64:ff9b:1::/48) translates to whatever the operator's network holds, and
  // Teredo (2001::/32) tunnels to an address we cannot check: neither is public.
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return "reserved";
  if (g[0] === 0x2001 && g[1] === 0) return "reserved";
  // 6to4 (2002::/16) carries the IPv4 address of its relay in groups 2 and 3.
  if (g[0] === 0x2002) return classifyIpv4([g[1]! >> 8, g[1]! & 0xff, g[2]! >> 8, g[2]! & 0xff]);
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && g.slice(2, 7).every((x) => x === 0) && g[7] === 0x254) return "metadata";
  if ((g[0]! & 0xfe00) === 0xfc00) return "private";
  if ((g[0]! & 0xffc0) === 0xfe80) return "link_local";
  if ((g[0]! & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "reserved";
  return "public";
}

/** Classifies an IPv4 or IPv6 address (brackets allowed); undefined when it is neither. */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.replace(/^\[|\]$/g, "");
  const v4 = parseIpv4(bare);
  if (v4) return classifyIpv4(v4);
  const v6 = bare.includes(":") ? parseIpv6(bare) : undefined;
  return v6 ? classifyIpv6(v6) : undefined;
}

export const isLocalEnvironment = (env: Pick<Env, "ENVIRONMENT">) =>
  env.ENVIRONMENT === "development" || env.ENVIRONMENT === "test";

export const DEFAULT_DOH_URL = "https://cloudflare-dns.com/dns-query";

interface DohAnswer {
  Status: number;
  Answer?: { type: number; data: string }[];
}

async function resolve(
  env: Pick<Env, "DOH_URL">,
  host: string,
  type: "A" | "AAAA",
): Promise<{ status: number; addresses: string[] }> {
  const url = new URL(env.DOH_URL || DEFAULT_DOH_URL);
  url.searchParams.set("name", host);
  url.searchParams.set("type", type);
  const response = await fetch(url, {
    headers: { accept: "application/dns-json" },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`DNS over HTTPS answered ${response.status}`);
  const answer = (await response.json()) as DohAnswer;
  const wanted = type === "A" ? 1 : 28;
  return {
    status: answer.Status,
    addresses: (answer.Answer ?? []).filter((a) => a.type === wanted).map((a) => a.data),
  };
}

export type UrlVerdict = { ok: true } | { ok: false; code: string; message: string };
const refuse = (code: string, message: string): UrlVerdict => ({ ok: false, code, message });

/** Whether the platform may deliver to `raw` in this environment. */
export async function checkEndpointUrl(env: Pick<Env, "ENVIRONMENT" | "DOH_URL">, raw: string): Promise<UrlVerdict> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("invalid_url", "is not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return refuse("invalid_scheme", "must be an http(s) URL");
  if (isLocalEnvironment(env)) return { ok: true };

  if (url.protocol !== "https:") return refuse("https_required", "must use https");
  if (url.port !== "" && url.port !== "443") return refuse("port_not_allowed", "must use port 443");
  if (url.username || url.password) return refuse("credentials_not_allowed", "must not carry credentials");
  const host = url.hostname;
  if (classifyAddress(host)) return refuse("ip_literal_not_allowed", "must name a host, not an IP address");
  if (!host.includes(".") || /\.(localhost|local|internal|home\.arpa)$/i.test(host) || host === "localhost") {
    return refuse("host_not_public", "must name a public host");
  }
  let answers: { status: number; addresses: string[] }[];
  try {
    answers = await Promise.all([resolve(env, host, "A"), resolve(env, host, "AAAA")]);
  } catch (error) {
    return refuse(
      "dns_lookup_failed",
      `could not be resolved (${error instanceof Error ? error.message : "DNS error"})`,
    );
  }
  const addresses = answers.flatMap((a) => a.addresses);
  if (addresses.length === 0) return refuse("host_does_not_resolve", "does not resolve to any address");
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind !== "public")
      return refuse("address_not_public", `resolves to a ${kind ?? "unrecognised"} address (${address})`);
  }
  return { ok: true };
}
