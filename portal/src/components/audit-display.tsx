// Shared by the audit log and the activity feed: the portal page of an event's resource (when it
// has one), an actor in words, and a time relative to now (the exact time in its title).
import { Link } from "@tanstack/react-router";
import type { components } from "../../../client/securebase.ts";

type Resource = components["schemas"]["AuditResource"];
type Actor = components["schemas"]["AuditActor"];

/** A link to the portal page of the resource, or null when it has none. */
export function ResourceLink({ resource, children }: { resource: Resource; children: React.ReactNode }) {
  const id = resource.id;
  switch (resource.type) {
    case "managed_account":
      return id ? (
        <Link to="/accounts/$id" params={{ id }}>
          {children}
        </Link>
      ) : null;
    case "invoice":
      return id ? (
        <Link to="/invoices/$id" params={{ id }}>
          {children}
        </Link>
      ) : null;
    case "support_ticket":
      return id ? (
        <Link to="/support/tickets/$id" params={{ id }}>
          {children}
        </Link>
      ) : null;
    case "webhook_endpoint":
      return id ? (
        <Link to="/webhooks/endpoints/$id" params={{ id }}>
          {children}
        </Link>
      ) : null;
    case "api_key":
      return <Link to="/api-keys">{children}</Link>;
    case "user":
    case "user_invite":
    case "user_session":
      return <Link to="/team">{children}</Link>;
    case "passkey":
    case "security_policy":
      return <Link to="/security">{children}</Link>;
    default:
      return null;
  }
}

const ACTOR_WORDS: Record<Actor["type"], string> = {
  user: "User",
  api_key: "API key",
  system: "SecureBase (automatic)",
  staff: "SecureBase staff",
};

export const actorText = (actor: Actor) =>
  actor.id && actor.type !== "system" ? `${ACTOR_WORDS[actor.type]} ${actor.id.slice(0, 8)}` : ACTOR_WORDS[actor.type];

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 30],
  ["month", 12],
  ["year", Number.POSITIVE_INFINITY],
];

/** "3 minutes ago", "yesterday", … for an ISO time, from `now` (ms). */
export function ago(iso: string, now = Date.now()): string {
  let value = (new Date(iso).getTime() - now) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return iso;
}

export function RelativeTime({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {ago(iso)}
    </time>
  );
}

/** The exact time, for tables: local date and time to the second. */
export const exact = (iso: string) =>
  new Date(iso).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "medium" });
