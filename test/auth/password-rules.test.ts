// Password rules (docs/auth.md, "Passwords"): length in code points, the common-password list,
// the email's local part; and the 422 the invite acceptance answers with for each.
import { beforeAll, describe, expect, it } from "vitest";
import { COMMON_PASSWORDS } from "../../worker/auth/common-passwords.ts";
import { passwordProblem } from "../../worker/auth/password-rules.ts";
import { expectProblem } from "../helpers/http.ts";
import { userToken } from "../helpers/identity.ts";
import { accept, newInvite, PASSWORD, tokenOf } from "../helpers/invites.ts";
import { createTenant } from "../helpers/tenants.ts";

const code = (password: string, email = "someone@example.com") => passwordProblem(password, email)?.code;

describe("passwordProblem", () => {
  it("counts Unicode code points, not UTF-16 units: 12 emoji pass, 11 do not, 257 are too long", () => {
    expect(code("🔒".repeat(11))).toBe("too_short"); // 22 UTF-16 units, 11 characters
    expect(code("🔒".repeat(12))).toBeUndefined();
    expect(code("🔒".repeat(256))).toBeUndefined();
    expect(code("🔒".repeat(257))).toBe("too_long");
    expect(code("x".repeat(11))).toBe("too_short");
  });

  it("has no composition rules: a lowercase passphrase with spaces passes", () => {
    expect(code("plain lowercase words only")).toBeUndefined();
  });

  it("refuses common passwords whatever their case, with a message saying why", () => {
    expect(COMMON_PASSWORDS.has("password1234")).toBe(true);
    for (const password of ["password1234", "PassWord1234", "QWERTYUIOP123", "1q2w3e4r5t6y"]) {
      const problem = passwordProblem(password, "someone@example.com");
      expect(problem?.code, password).toBe("common");
      expect(problem?.message).toMatch(/common/);
    }
    // Every entry is reachable: shorter ones would be refused by length anyway (dead weight).
    for (const entry of COMMON_PASSWORDS) {
      expect(entry).toBe(entry.toLowerCase());
      expect([...entry].length, entry).toBeGreaterThanOrEqual(12);
    }
  });

  it("refuses a password containing the email's local part (case-insensitive), not a short local part", () => {
    expect(code("my-Ada.Lovelace-secret", "ada.lovelace@example.com")).toBe("contains_email");
    expect(code("ada.lovelace@example.com", "Ada.Lovelace@Example.com")).toBe("contains_email");
    expect(code("adabadacadaba", "ab@example.com")).toBeUndefined(); // "ab" is too short to refuse on
    expect(code("xyz-is-what-i-like", "xyz@example.com")).toBe("contains_email");
  });
});

describe("invite acceptance applies the rules", () => {
  let adminToken: string;
  beforeAll(async () => {
    const tenant = await createTenant();
    adminToken = (await userToken(tenant.customerId, "admin")).token;
  });

  it("answers each broken rule with a 422 naming body.password and its code; a good password still works", async () => {
    const sent = await newInvite(adminToken);
    const token = await tokenOf(sent);
    const local = sent.email.split("@")[0]!;
    const cases: [string, string][] = [
      ["🔒".repeat(11), "too_short"],
      ["x".repeat(257), "too_long"],
      ["Password1234", "common"],
      [`${local.toUpperCase()}-and-more`, "contains_email"],
    ];
    for (const [password, expected] of cases) {
      const problem = await expectProblem(await accept({ token, name: "Weak", password }), {
        status: 422,
        type: "validation-error",
        field: "body.password",
      });
      expect(problem.errors).toContainEqual(expect.objectContaining({ field: "body.password", code: expected }));
    }
    expect((await accept({ token, name: "Strong", password: PASSWORD })).status).toBe(201);
  });
});
