// Webhook endpoints: create (the `whsec_` secret returned once, stored encrypted), list, read,
// update, delete, enable/disable, rotate the secret (the old one keeps signing for 24 h unless
// ended now) and send a test event. Every function runs in the caller's tenant transaction and
// audits its change there.
import { and, desc, eq, sql } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints } from "../../db/schema.ts";
import type { EventType } from "../events/catalogue.ts";
import type { Emit } from "../events/outbox.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import type { Database } from "../platform/database.ts";
import { open, type SealedPlace, seal } from "../platform/encryption.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { Audit } from "../http/transactions.ts";
import { newSigningSecret } from "./signing.ts";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** How long a rotated-out secret keeps signing alongside the new one. */
export const ROTATION_OVERLAP_SECONDS = 24 * 3600;

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array) => new TextDecoder().decode(value);

type SecretColumn = "secret_ciphertext" | "previous_secret_ciphertext";
const secretPlace = (customerId: string, endpointId: string, column: SecretColumn): SealedPlace => ({
  table: "webhook_endpoints",
  column,
  customerId,
  rowId: endpointId,
});

/** A signing secret sealed for one endpoint's column (it opens nowhere else). */
export const sealSecret = async (key: string, secret: string, customerId: string, id: string, column: SecretColumn) =>
  bytes(await seal(key, secret, secretPlace(customerId, id, column)));
export const openSecret = (key: string, sealed: Uint8Array, customerId: string, id: string, column: SecretColumn) =>
  open(key, text(sealed), secretPlace(customerId, id, column));

/** The secrets a delivery is signed with now: the current one, and the previous during its overlap. */
export async function signingSecrets(
  key: string,
  row: { customerId: string; endpointId: string } & Pick<
    EndpointRow,
    "secretCiphertext" | "previousSecretCiphertext" | "previousSecretExpiresAt"
  >,
  now = new Date(),
): Promise<string[]> {
  const secrets = [await openSecret(key, row.secretCiphertext, row.customerId, row.endpointId, "secret_ciphertext")];
  if (row.previousSecretCiphertext && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now) {
    secrets.push(
      await openSecret(key, row.previousSecretCiphertext, row.customerId, row.endpointId, "previous_secret_ciphertext"),
    );
  }
  return secrets;
}

export interface EndpointInput {
  url: string;
  description: string | null;
  eventTypes: EventType[];
}

const byId = (customerId: string, id: string) =>
  and(eq(webhookEndpoints.customerId, customerId), eq(webhookEndpoints.id, id));

export async function createEndpoint(
  db: Database,
  audit: Audit,
  encryptionKey: string,
  customerId: string,
  input: EndpointInput,
): Promise<{ row: EndpointRow; secret: string }> {
  const secret = newSigningSecret();
  const id = uuidv7();
  const [row] = await db
    .insert(webhookEndpoints)
    .values({
      id,
      customerId,
      url: input.url,
      description: input.description,
      eventTypes: [...new Set(input.eventTypes)],
      secretCiphertext: await sealSecret(encryptionKey, secret, customerId, id, "secret_ciphertext"),
    })
    .returning();
  await audit({
    action: "webhook_endpoint.created",
    resourceType: "webhook_endpoint",
    resourceId: row!.id,
    summary: `Webhook endpoint ${input.url} created`,
    data: { url: input.url, event_types: row!.eventTypes },
  });
  return { row: row!, secret };
}

export function listEndpoints(db: Database, customerId: string, page: PaginationQuery): Promise<EndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.customerId, customerId), afterCursor(webhookEndpoints.id, page)))
    .orderBy(desc(webhookEndpoints.id))
    .limit(page.limit + 1);
}

export async function getEndpoint(db: Database, customerId: string, id: string): Promise<EndpointRow | undefined> {
  const [row] = await db.select().from(webhookEndpoints).where(byId(customerId, id));
  return row;
}

export async function updateEndpoint(
  db: Database,
  audit: Audit,
  customerId: string,
  id: string,
  changes: Partial<EndpointInput>,
): Promise<EndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      ...(changes.url !== undefined ? { url: changes.url } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.eventTypes !== undefined ? { eventTypes: [...new Set(changes.eventTypes)] } : {}),
      updatedAt: sql`now()`,
    })
    .where(byId(customerId, id))
    .returning();
  if (!row) return undefined;
  await audit({
    action: "webhook_endpoint.updated",
    resourceType: "webhook_endpoint",
    resourceId: id,
    summary: `Webhook endpoint ${row.url} updated`,
    data: {
      ...(changes.url !== undefined ? { url: changes.url } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.eventTypes !== undefined ? { event_types: row.eventTypes } : {}),
    },
  });
  return row;
}

export async function deleteEndpoint(db: Database, audit: Audit, customerId: string, id: string): Promise<boolean> {
  const [row] = await db.delete(webhookEndpoints).where(byId(customerId, id)).returning();
  if (!row) return false;
  await audit({
    action: "webhook_endpoint.deleted",
    resourceType: "webhook_endpoint",
    resourceId: id,
    summary: `Webhook endpoint ${row.url} deleted (with its delivery log)`,
    data: { url: row.url },
  });
  return true;
}

/** Enables (clearing the failure streak) or disables an endpoint; no change, no audit event. */
export async function setEndpointEnabled(
  db: Database,
  audit: Audit,
  customerId: string,
  id: string,
  enabled: boolean,
): Promise<EndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set(
      enabled
        ? {
            status: "enabled",
            disabledReason: null,
            failingSince: null,
            failureWarningSentAt: null,
            updatedAt: sql`now()`,
          }
        : { status: "disabled", disabledReason: "manual", updatedAt: sql`now()` },
    )
    .where(and(byId(customerId, id), eq(webhookEndpoints.status, enabled ? "disabled" : "enabled")))
    .returning();
  if (!row) return getEndpoint(db, customerId, id);
  await audit({
    action: enabled ? "webhook_endpoint.enabled" : "webhook_endpoint.disabled",
    resourceType: "webhook_endpoint",
    resourceId: id,
    summary: `Webhook endpoint ${row.url} ${enabled ? "enabled" : "disabled"}`,
  });
  if (!enabled) {
    // Nothing more is attempted while disabled; `recover` re-sends what failed meanwhile.
    await db
      .update(webhookDeliveries)
      .set({ status: "failed", nextAttemptAt: null, updatedAt: sql`now()` })
      .where(
        and(
          eq(webhookDeliveries.customerId, customerId),
          eq(webhookDeliveries.endpointId, id),
          eq(webhookDeliveries.status, "pending"),
        ),
      );
  }
  return row;
}

/** A new secret; the old one signs alongside it for 24 h, or stops now. */
export async function rotateSecret(
  db: Database,
  audit: Audit,
  encryptionKey: string,
  customerId: string,
  id: string,
  expirePreviousNow: boolean,
): Promise<{ row: EndpointRow; secret: string } | undefined> {
  const [current] = await db.select().from(webhookEndpoints).where(byId(customerId, id)).for("update");
  if (!current) return undefined;
  const secret = newSigningSecret();
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      secretCiphertext: await sealSecret(encryptionKey, secret, customerId, id, "secret_ciphertext"),
      // The outgoing secret moves columns, so it is sealed again for its new place.
      previousSecretCiphertext: expirePreviousNow
        ? null
        : await sealSecret(
            encryptionKey,
            await openSecret(encryptionKey, current.secretCiphertext, customerId, id, "secret_ciphertext"),
            customerId,
            id,
            "previous_secret_ciphertext",
          ),
      previousSecretExpiresAt: expirePreviousNow
        ? null
        : sql`now() + make_interval(secs => ${ROTATION_OVERLAP_SECONDS})`,
      updatedAt: sql`now()`,
    })
    .where(byId(customerId, id))
    .returning();
  await audit({
    action: "webhook_endpoint.secret_rotated",
    resourceType: "webhook_endpoint",
    resourceId: id,
    summary: `Signing secret of webhook endpoint ${current.url} rotated${expirePreviousNow ? "; the previous one stopped at once" : ""}`,
    data: { previous_secret_expires_at: row!.previousSecretExpiresAt?.toISOString() ?? null },
  });
  return { row: row!, secret };
}

/** Emits `webhook.test` for one endpoint (only that endpoint receives it). */
export async function sendTestEvent(
  db: Database,
  audit: Audit,
  emit: Emit,
  customerId: string,
  id: string,
): Promise<{ row: EndpointRow; eventId: string } | undefined> {
  const row = await getEndpoint(db, customerId, id);
  if (!row) return undefined;
  const eventId = await emit("webhook.test", { endpoint_id: id, message: "This is a test event from SecureBase." });
  await audit({
    action: "webhook_endpoint.tested",
    resourceType: "webhook_endpoint",
    resourceId: id,
    summary: `Test event sent to webhook endpoint ${row.url}`,
    data: { event_id: eventId },
  });
  return { row, eventId };
}
