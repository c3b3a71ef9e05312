// Encryption at rest for secrets the API must be able to read back (idempotent replays of
// responses that carry a new key or token; later, webhook signing secrets). AES-256-GCM on
// WebCrypto with DATA_ENCRYPTION_KEY ("kid:base64url 32 bytes"); the kid is stored with each
// ciphertext so the key can rotate. Format: "v1.<kid>.<iv b64url>.<ciphertext b64url>".
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

export async function encrypt(config: string, plaintext: string): Promise<string> {
  const { kid, key } = await dataKey(config);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext)),
  );
  return `v1.${kid}.${b64url(iv)}.${b64url(sealed)}`;
}

/** `config` may list several keys ("kid:secret,kid:secret"): the first encrypts, any decrypts. */
export async function decrypt(config: string, sealed: string): Promise<string> {
  const [version, kid, iv, data] = sealed.split(".");
  const entry = config.split(",").find((k) => k.trim().startsWith(`${kid}:`));
  if (version !== "v1" || !entry || !iv || !data) throw new Error("ciphertext format or key id not recognised");
  const { key } = await dataKey(entry.trim());
  return new TextDecoder().decode(
    await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64url(iv) }, key, unb64url(data)),
  );
}

export const encryptWithCurrent = (config: string, plaintext: string) =>
  encrypt(config.split(",")[0]!.trim(), plaintext);
