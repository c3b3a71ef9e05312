// WebAuthn in the browser from the API's JSON options (base64url strings) and back: the
// conversions navigator.credentials needs, without a library.
import type { components } from "../../client/securebase.ts";

type RequestOptions = components["schemas"]["PasskeyRequestOptions"];
type CreationOptions = components["schemas"]["PasskeyCreationOptions"];
export type AuthenticationJSON = components["schemas"]["AuthenticationResponse"];
export type RegistrationJSON = components["schemas"]["RegistrationResponse"];

function fromB64url(value: string): ArrayBuffer {
  const base64 = value
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(value.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return bytes.buffer;
}
function toB64url(buffer: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const passkeysSupported = () => typeof window !== "undefined" && "PublicKeyCredential" in window;

/** Asks the authenticator for an assertion for the API's request options. */
export async function getAssertion(options: RequestOptions): Promise<AuthenticationJSON> {
  const credential = (await navigator.credentials.get({
    publicKey: {
      challenge: fromB64url(options.challenge),
      timeout: options.timeout,
      rpId: options.rpId,
      userVerification: options.userVerification,
      allowCredentials: options.allowCredentials.map((c) => ({
        id: fromB64url(c.id),
        type: c.type,
        transports: c.transports as AuthenticatorTransport[] | undefined,
      })),
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error("No passkey was chosen.");
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: "public-key",
    response: {
      clientDataJSON: toB64url(response.clientDataJSON),
      authenticatorData: toB64url(response.authenticatorData),
      signature: toB64url(response.signature),
      ...(response.userHandle ? { userHandle: toB64url(response.userHandle) } : {}),
    },
    ...(credential.authenticatorAttachment
      ? { authenticatorAttachment: credential.authenticatorAttachment as "platform" | "cross-platform" }
      : {}),
    clientExtensionResults: {},
  };
}

/** Creates a passkey for the API's creation options. */
export async function createCredential(options: CreationOptions): Promise<RegistrationJSON> {
  const credential = (await navigator.credentials.create({
    publicKey: {
      rp: options.rp,
      user: { id: fromB64url(options.user.id), name: options.user.name, displayName: options.user.displayName },
      challenge: fromB64url(options.challenge),
      pubKeyCredParams: options.pubKeyCredParams,
      timeout: options.timeout,
      excludeCredentials: options.excludeCredentials.map((c) => ({ id: fromB64url(c.id), type: c.type })),
      authenticatorSelection: options.authenticatorSelection,
      attestation: options.attestation,
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new Error("No passkey was created.");
  const response = credential.response as AuthenticatorAttestationResponse;
  const publicKey = response.getPublicKey?.();
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: "public-key",
    response: {
      clientDataJSON: toB64url(response.clientDataJSON),
      attestationObject: toB64url(response.attestationObject),
      authenticatorData: toB64url(response.getAuthenticatorData()),
      transports: response.getTransports() as RegistrationJSON["response"]["transports"],
      publicKeyAlgorithm: response.getPublicKeyAlgorithm(),
      ...(publicKey ? { publicKey: toB64url(publicKey) } : {}),
    },
    ...(credential.authenticatorAttachment
      ? { authenticatorAttachment: credential.authenticatorAttachment as "platform" | "cross-platform" }
      : {}),
    clientExtensionResults: {},
  };
}
