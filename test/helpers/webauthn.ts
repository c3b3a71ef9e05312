// A small virtual WebAuthn authenticator for the passkey tests: it answers the API's options
// with real registration and assertion responses built on WebCrypto keys (ES256: ECDSA P-256,
// RS256: RSASSA-PKCS1-v1_5 with SHA-256), exactly as a browser would hand them to the page, so
// the server's verifier (@simplewebauthn/server) runs unmocked. Knobs let a test break one thing
// at a time: the origin, the RP ID, the flags, the counter.
import { env } from "cloudflare:workers";
import { fromBase64, toBase64Url } from "../../worker/platform/encoding.ts";
import { type Schemas, send } from "./http.ts";

export type Algorithm = "ES256" | "RS256";

/** Authenticator data flags (WebAuthn §6.1). */
export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

// --- A tiny CBOR encoder (RFC 8949): just the types COSE keys and attestation objects use. ---
type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>;

function head(major: number, value: number): number[] {
  if (value < 24) return [(major << 5) | value];
  if (value < 0x100) return [(major << 5) | 24, value];
  if (value < 0x10000) return [(major << 5) | 25, value >> 8, value & 0xff];
  return [(major << 5) | 26, (value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

export function cbor(value: Cbor): Uint8Array {
  const out: number[] = [];
  const put = (v: Cbor) => {
    if (typeof v === "number") out.push(...(v >= 0 ? head(0, v) : head(1, -1 - v)));
    else if (typeof v === "string") {
      const bytes = new TextEncoder().encode(v);
      out.push(...head(3, bytes.length), ...bytes);
    } else if (v instanceof Uint8Array) out.push(...head(2, v.length), ...v);
    else if (Array.isArray(v)) {
      out.push(...head(4, v.length));
      v.forEach(put);
    } else {
      out.push(...head(5, v.size));
      for (const [k, item] of v) {
        put(k);
        put(item);
      }
    }
  };
  put(value);
  return Uint8Array.from(out);
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const uint32 = (n: number) => Uint8Array.from([(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);

/** WebCrypto's raw ECDSA signature (r || s) as the DER SEQUENCE of two INTEGERs WebAuthn sends. */
export function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    const trimmed = bytes.slice(i);
    const body = trimmed[0]! & 0x80 ? concat(Uint8Array.of(0), trimmed) : trimmed;
    return concat(Uint8Array.of(0x02, body.length), body);
  };
  const half = raw.length / 2;
  const body = concat(integer(raw.slice(0, half)), integer(raw.slice(half)));
  return concat(Uint8Array.of(0x30, body.length), body);
}

const ALGORITHMS = {
  ES256: {
    generate: { name: "ECDSA", namedCurve: "P-256" },
    sign: { name: "ECDSA", hash: "SHA-256" },
    cose: -7,
  },
  RS256: {
    generate: {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: "SHA-256",
    },
    sign: { name: "RSASSA-PKCS1-v1_5" },
    cose: -257,
  },
} as const;

interface CreationOptions {
  rp: { id: string };
  user: { id: string };
  challenge: string;
}
interface RequestOptions {
  challenge: string;
  rpId: string;
}
/** What a test may change in one ceremony. */
export interface Tweaks {
  origin?: string;
  rpId?: string;
  flags?: number;
  counter?: number;
  type?: string;
  challenge?: string;
}

export class VirtualAuthenticator {
  readonly credentialId = crypto.getRandomValues(new Uint8Array(32));
  counter = 0;
  userHandle: string | undefined;

  readonly algorithm: Algorithm;
  readonly origin: string;
  private readonly keys: CryptoKeyPair;

  private constructor(algorithm: Algorithm, keys: CryptoKeyPair, origin: string) {
    this.algorithm = algorithm;
    this.keys = keys;
    this.origin = origin;
  }

  /** A new authenticator holding one fresh key pair; `origin` is the page it runs on. */
  static async create(algorithm: Algorithm, origin: string): Promise<VirtualAuthenticator> {
    const keys = (await crypto.subtle.generateKey(ALGORITHMS[algorithm].generate, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    return new VirtualAuthenticator(algorithm, keys, origin);
  }

  get id(): string {
    return toBase64Url(this.credentialId);
  }

  private async coseKey(): Promise<Uint8Array> {
    const jwk = (await crypto.subtle.exportKey("jwk", this.keys.publicKey)) as JsonWebKey;
    const b = (s: string | undefined) => fromBase64(s!);
    return this.algorithm === "ES256"
      ? cbor(
          new Map<number, Cbor>([
            [1, 2],
            [3, -7],
            [-1, 1],
            [-2, b(jwk.x)],
            [-3, b(jwk.y)],
          ]),
        )
      : cbor(
          new Map<number, Cbor>([
            [1, 3],
            [3, -257],
            [-1, b(jwk.n)],
            [-2, b(jwk.e)],
          ]),
        );
  }

  private clientData(type: string, challenge: string, tweaks: Tweaks): Uint8Array {
    const data = {
      type: tweaks.type ?? type,
      challenge: tweaks.challenge ?? challenge,
      origin: tweaks.origin ?? this.origin,
      crossOrigin: false,
    };
    return new TextEncoder().encode(JSON.stringify(data));
  }

  /** navigator.credentials.create(): a `none` attestation of a new discoverable credential. */
  async register(options: CreationOptions, tweaks: Tweaks = {}) {
    this.userHandle = options.user.id;
    const clientDataJSON = this.clientData("webauthn.create", options.challenge, tweaks);
    const rpIdHash = await sha256(new TextEncoder().encode(tweaks.rpId ?? options.rp.id));
    const attested = concat(
      new Uint8Array(16), // AAGUID: all zero, as with attestation "none"
      Uint8Array.of(this.credentialId.length >> 8, this.credentialId.length & 0xff),
      this.credentialId,
      await this.coseKey(),
    );
    const flags = tweaks.flags ?? FLAGS.UP | FLAGS.UV | FLAGS.AT;
    const authData = concat(rpIdHash, Uint8Array.of(flags), uint32(tweaks.counter ?? this.counter), attested);
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        attestationObject: toBase64Url(attestationObject),
        transports: ["internal"],
      },
      authenticatorAttachment: "platform" as const,
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(): signs authenticatorData || SHA-256(clientDataJSON); counts up. */
  async assert(options: RequestOptions, tweaks: Tweaks = {}) {
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, tweaks);
    const rpIdHash = await sha256(new TextEncoder().encode(tweaks.rpId ?? options.rpId));
    const counter = tweaks.counter ?? ++this.counter;
    const authData = concat(rpIdHash, Uint8Array.of(tweaks.flags ?? FLAGS.UP | FLAGS.UV), uint32(counter));
    const signed = concat(authData, await sha256(clientDataJSON));
    const raw = new Uint8Array(await crypto.subtle.sign(ALGORITHMS[this.algorithm].sign, this.keys.privateKey, signed));
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        authenticatorData: toBase64Url(authData),
        signature: toBase64Url(this.algorithm === "ES256" ? derSignature(raw) : raw),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      authenticatorAttachment: "platform" as const,
      clientExtensionResults: {},
    };
  }
}

// --- The API's passkey ceremonies, as the portal runs them. ---

/** The portal origin the Worker expects (PORTAL_URL, else PUBLIC_API_URL, as wrangler.toml sets it). */
export const portalOrigin = () => {
  const vars = env as unknown as { PORTAL_URL?: string; PUBLIC_API_URL: string };
  return new URL(vars.PORTAL_URL || vars.PUBLIC_API_URL).origin;
};

export type CreationOptionsBody = CreationOptions & {
  pubKeyCredParams: { alg: number }[];
  excludeCredentials: { id: string }[];
  user: { id: string; name: string; displayName: string };
  authenticatorSelection: Record<string, unknown>;
  attestation: string;
};

/** POST /v1/me/passkeys/options as `token`. */
export async function registrationOptions(token: string): Promise<CreationOptionsBody> {
  const response = await send("POST", "/v1/me/passkeys/options", token);
  if (response.status !== 200) throw new Error(`options: ${response.status} ${await response.text()}`);
  return response.json<CreationOptionsBody>();
}

/** A new authenticator registered as `token`'s passkey; returns it and the API's passkey. */
export async function registerPasskey(
  token: string,
  algorithm: Algorithm = "ES256",
  name?: string,
): Promise<{ authenticator: VirtualAuthenticator; passkey: Schemas["RegisteredPasskey"] }> {
  const authenticator = await VirtualAuthenticator.create(algorithm, portalOrigin());
  const response = await authenticator.register(await registrationOptions(token));
  const created = await send("POST", "/v1/me/passkeys", token, { name, response });
  if (created.status !== 201) throw new Error(`register: ${created.status} ${await created.text()}`);
  return { authenticator, passkey: await created.json<Schemas["RegisteredPasskey"]>() };
}
