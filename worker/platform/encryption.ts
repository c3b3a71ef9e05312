// Encryption at rest for secrets the API must be able to read back (idempotent replays of
// responses that carry a new key or token, webhook signing secrets, secrets an event carries to
// its email). AES-256-GCM on WebCrypto with DATA_ENCRYPTION_KEY ("kid:base64url 32 bytes"); the
// kid is stored with each ciphertext so the key can rotate.
//
// Each ciphertext is bound to its place (docs/security.md): the table, column, customer and row
// are the GCM associated data, so a ciphertext copied to another row, column or tenant by anyone
// who can write those columns fails to open. Format: "v2.<kid>.<iv b64url>.<ciphertext b64url>".
// "v1" ciphertexts (written before the binding, without associated data) still open.
import { fromBase64 as unb64url, toBase64Url as b64url } from "./encoding.ts";

const keys = new Map<string, Promise<{ kid: string; key: CryptoKey }>>();

function dataKey(config: string): Promise<{ kid: string; key: CryptoKey }> {
  let entry = keys.get(config);
  if (!entry) {
    const separator = config.indexOf(":");
    const kid = config.slice(0, separator);
    const secret = unb64url(config.slice(separator + 1));
    if (separator < 1 || secret.length !== 32 || kid.includes("."))
      throw new Error("DATA_ENCRYPTION_KEY must be kid:<base64url 32 bytes>");
    entry = crypto.subtle
      .importKey("raw", secret, "AES-GCM", false, ["encrypt", "decrypt"])
      .then((key) => ({ kid, key }));
    keys.set(config, entry);
  }
  return entry;
}

/** Where a ciphertext is stored: it opens only there. */
export interface SealedPlace {
  table: string;
  column: string;
  customerId: string;
  /** The row's key (its id, or the idempotency key). */
  rowId: string;
}

const associatedData = (place: SealedPlace) =>
  new TextEncoder().encode(`${place.table}.${place.column}\n${place.customerId}\n${place.rowId}`);

/** Seals with the first key of `config` ("kid:secret[,kid:secret…]"). */
export async function seal(config: string, plaintext: string, place: SealedPlace): Promise<string> {
  const { kid, key } = await dataKey(config.split(",")[0]!.trim());
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: associatedData(place) },
      key,
      new TextEncoder().encode(plaintext),
    ),
  );
  return `v2.${kid}.${b64url(iv)}.${b64url(sealed)}`;
}

/** Opens a ciphertext sealed for `place` with any key of `config`; throws if it was sealed elsewhere. */
export async function open(config: string, sealed: string, place: SealedPlace): Promise<string> {
  const [version, kid, iv, data] = sealed.split(".");
  const entry = config.split(",").find((k) => k.trim().startsWith(`${kid}:`));
  if ((version !== "v1" && version !== "v2") || !entry || !iv || !data)
    throw new Error("ciphertext format or key id not recognised");
  const { key } = await dataKey(entry.trim());
  const params: { name: "AES-GCM"; iv: Uint8Array; additionalData?: Uint8Array } = {
    name: "AES-GCM",
    iv: unb64url(iv),
  };
  if (version === "v2") params.additionalData = associatedData(place);
  return new TextDecoder().decode(await crypto.subtle.decrypt(params, key, unb64url(data)));
}
