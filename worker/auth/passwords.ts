// Password hashing: PBKDF2-HMAC-SHA256, 600,000 iterations in all (OWASP 2023), 16-byte
// per-user salt, 32-byte output, constant-time comparison. Stored as a PHC-style string:
//   $pbkdf2-sha256$r=6,i=100000$<salt b64>$<hash b64>
// Why chained rounds: Cloudflare's runtime refuses a single PBKDF2 call above 100,000
// iterations, so the work is 6 sequential calls of 100,000, each keyed by the previous output
// (salt = salt ‖ round). An attacker must still do all 600,000 HMACs in sequence per guess.
// Memory-hard alternatives (scrypt, argon2) exist only in JavaScript here and cost seconds of
// Workers CPU at OWASP parameters (measured: scrypt N=2^14,r=8,p=5 ≈ 4.3 s), so PBKDF2 on
// WebCrypto (native, ≈ 70 ms) is the choice; see docs/auth.md.
import { fromBase64, toBase64 } from "../platform/encoding.ts";

export const PASSWORD_ROUNDS = 6;
export const PASSWORD_ITERATIONS_PER_ROUND = 100_000;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const encoder = new TextEncoder();

const b64 = toBase64;
const unb64 = fromBase64;

async function derive(password: string, salt: Uint8Array, rounds: number, iterations: number): Promise<Uint8Array> {
  let input = encoder.encode(password.normalize("NFKC"));
  for (let round = 0; round < rounds; round++) {
    const key = await crypto.subtle.importKey("raw", input, "PBKDF2", false, ["deriveBits"]);
    const roundSalt = new Uint8Array([...salt, round]);
    input = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt: roundSalt, iterations },
        key,
        HASH_BYTES * 8,
      ),
    );
  }
  return input;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, PASSWORD_ROUNDS, PASSWORD_ITERATIONS_PER_ROUND);
  return `$pbkdf2-sha256$r=${PASSWORD_ROUNDS},i=${PASSWORD_ITERATIONS_PER_ROUND}$${b64(salt)}$${b64(hash)}`;
}

const PHC = /^\$pbkdf2-sha256\$r=(\d{1,2}),i=(\d{4,6})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
/** A well-formed hash nobody can match: verifying unknown users costs the same as known ones. */
const DECOY = `$pbkdf2-sha256$r=${PASSWORD_ROUNDS},i=${PASSWORD_ITERATIONS_PER_ROUND}$${b64(new Uint8Array(SALT_BYTES))}$${b64(new Uint8Array(HASH_BYTES))}`;

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const match = PHC.exec(stored ?? DECOY) ?? PHC.exec(DECOY)!;
  const [rounds, iterations] = [Number(match[1]), Number(match[2])];
  // Bound the work a stored string can ask for (a tampered row must not become a CPU bomb).
  if (rounds > 10 || iterations > 100_000) return false;
  const expected = unb64(match[4]!);
  const actual = await derive(password, unb64(match[3]!), rounds, iterations);
  return constantTimeEqual(expected, actual) && stored !== null;
}

/** Compares every byte whatever the first difference (workerd's timingSafeEqual is not portable to Node). */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
