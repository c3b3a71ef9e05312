// Sign-in: email and password (?session=cookie), then the second factor the API asks for
// (authenticator code or recovery code), or the MFA enrolment the organization requires.
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import type { components } from "../../../client/securebase.ts";
import { api, setCsrfToken, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { getAssertion, passkeysSupported } from "../webauthn.ts";

type LoginAnswer =
  | components["schemas"]["BrowserLoginResult"]
  | components["schemas"]["LoginResult"]
  | components["schemas"]["MfaChallenge"]
  | components["schemas"]["MfaEnrollmentRequired"];

type Step = { kind: "password" } | { kind: "code"; mfaToken: string; methods: string[]; recovery: boolean };

export default function SignIn() {
  const search = useSearch({ strict: false }) as { next?: string };
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [step, setStep] = useState<Step>({ kind: "password" });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function signedIn(answer: LoginAnswer) {
    if ("mfa_required" in answer) {
      setStep({ kind: "code", mfaToken: answer.mfa_token, methods: answer.methods, recovery: false });
      return;
    }
    if ("mfa_enrollment_required" in answer) {
      sessionStorage.setItem("sb_enrollment_token", answer.enrollment_token);
      await navigate({ to: "/enrol-mfa" });
      return;
    }
    if ("csrf_token" in answer) setCsrfToken(answer.csrf_token);
    await queryClient.invalidateQueries({ queryKey: ["me"] });
    const next = search.next?.startsWith("/") && !search.next.startsWith("//") ? search.next : "/overview";
    await navigate({ to: next });
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      if (step.kind === "password") {
        const answer = await unwrap(
          api.POST("/v1/auth/login", {
            params: { query: { session: "cookie" } },
            body: { email: String(form.get("email")), password: String(form.get("password")) },
          }),
        );
        await signedIn(answer as LoginAnswer);
      } else {
        const value = String(form.get("code")).trim();
        const answer = await unwrap(
          api.POST("/v1/auth/login/mfa", {
            params: { query: { session: "cookie" } },
            body: step.recovery
              ? { mfa_token: step.mfaToken, recovery_code: value }
              : { mfa_token: step.mfaToken, code: value },
          }),
        );
        await signedIn(answer as LoginAnswer);
      }
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  /** Passwordless, or as the second factor of a password sign-in (mfaToken). */
  async function withPasskey(mfaToken?: string) {
    setBusy(true);
    setError(null);
    try {
      const body = mfaToken ? { mfa_token: mfaToken } : {};
      const options = await unwrap(api.POST("/v1/auth/passkeys/options", { body }));
      const response = await getAssertion(options);
      const answer = await unwrap(
        api.POST("/v1/auth/passkeys", { params: { query: { session: "cookie" } }, body: { response, ...body } }),
      );
      await signedIn(answer as LoginAnswer);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="narrow">
      <h1>Sign in to SecureBase</h1>
      <form onSubmit={submit} noValidate>
        {step.kind === "password" ? (
          <>
            <Field label="Email" name="email" type="email" autoComplete="username" required error={error} />
            <Field
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              error={error}
            />
          </>
        ) : (
          <Field
            key={step.recovery ? "recovery" : "code"}
            label={step.recovery ? "Recovery code" : "Authenticator code"}
            name="code"
            field={step.recovery ? "body.recovery_code" : "body.code"}
            autoComplete="one-time-code"
            inputMode={step.recovery ? "text" : "numeric"}
            required
            error={error}
          />
        )}
        <FormError error={error} fields={["body.email", "body.password", "body.code", "body.recovery_code"]} />
        <button type="submit" disabled={busy}>
          {step.kind === "password" ? "Sign in" : "Verify"}
        </button>
        {step.kind === "code" && step.methods.includes("recovery_code") ? (
          <button type="button" className="link" onClick={() => setStep({ ...step, recovery: !step.recovery })}>
            {step.recovery ? "Use the authenticator code" : "Use a recovery code"}
          </button>
        ) : null}
      </form>
      {passkeysSupported() && (step.kind === "password" || step.methods.includes("passkey")) ? (
        <button
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() => withPasskey(step.kind === "code" ? step.mfaToken : undefined)}
        >
          {step.kind === "password" ? "Sign in with a passkey" : "Use a passkey"}
        </button>
      ) : null}
      <p>
        <a href="/reset-password">Forgot your password?</a>
      </p>
    </main>
  );
}
