// Password rules wherever a password is set (docs/auth.md, "Passwords"), after NIST SP 800-63B
// §3.1.1.2: length in Unicode code points (12–256), no composition rules, no common passwords,
// nothing built on the account's own address.
import { text } from "../http/input.ts";
import { invalidField } from "../http/problem.ts";
import { COMMON_PASSWORDS } from "./common-passwords.ts";

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;
/** Shorter local parts ("al@…") would refuse too many good passphrases by accident. */
const MIN_LOCAL_PART = 3;

export interface PasswordProblem {
  code: "too_short" | "too_long" | "common" | "contains_email";
  message: string;
}

/** Why `password` may not be set for `email`, or undefined when it may. */
export function passwordProblem(password: string, email: string): PasswordProblem | undefined {
  // Code points, not UTF-16 units: an emoji is one character to the person typing it.
  const length = [...password].length;
  if (length < PASSWORD_MIN)
    return { code: "too_short", message: `must be at least ${PASSWORD_MIN} characters (it has ${length})` };
  if (length > PASSWORD_MAX)
    return { code: "too_long", message: `must be at most ${PASSWORD_MAX} characters (it has ${length})` };
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower) || COMMON_PASSWORDS.has(lower.trim()))
    return { code: "common", message: "is one of the most commonly used passwords; choose another" };
  const local = email.toLowerCase().split("@")[0] ?? "";
  if (local.length >= MIN_LOCAL_PART && lower.includes(local))
    return { code: "contains_email", message: "must not contain your email address or its name part" };
  return undefined;
}

/** Throws the 422 naming `field` (e.g. "password", "new_password") when the password breaks a rule. */
export function checkPassword(field: string, password: string, email: string): void {
  const problem = passwordProblem(password, email);
  if (problem) throw invalidField(field, problem.code, problem.message);
}

/**
 * A password field in a request body. The schema bounds UTF-16 units (2 per code point at most);
 * the rules above then count code points, so a 256-emoji passphrase is accepted and the
 * refusals carry the rule's own code.
 */
export const passwordField = (description = PASSWORD_RULES) =>
  text({ min: 1, max: PASSWORD_MAX * 2, trim: false }).openapi({ description, example: "a perfectly long passphrase" });

export const PASSWORD_RULES =
  "12–256 characters (Unicode code points), any characters; not one of the most common passwords, and not " +
  "containing the local part of the account's email address. Refusals are a 422 naming the field, with the code " +
  "`too_short`, `too_long`, `common` or `contains_email`.";
