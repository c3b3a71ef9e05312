// Accept an invite from its email link (/accept-invite?token=…): name and password, then signed in
// with the cookie — or on to MFA enrolment when the organization requires a second factor.
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { api, setCsrfToken, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { ErrorState } from "../components/states.tsx";
import { linkToken } from "../token-param.ts";

export default function AcceptInvite() {
  const token = linkToken();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const answer = await unwrap(
        api.POST("/v1/invites/accept", {
          params: { query: { session: "cookie" } },
          body: { token, name: String(form.get("name")), password: String(form.get("password")) },
        }),
      );
      if ("enrollment_token" in answer) {
        sessionStorage.setItem("sb_enrollment_token", answer.enrollment_token);
        await navigate({ to: "/enrol-mfa" });
        return;
      }
      if ("csrf_token" in answer) setCsrfToken(answer.csrf_token);
      await queryClient.invalidateQueries({ queryKey: ["me"] });
      await navigate({ to: "/overview" });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="narrow">
      <h1>Join SecureBase</h1>
      {!token ? (
        <ErrorState error={new Error("missing token")} />
      ) : (
        <form onSubmit={submit} noValidate>
          <p>Choose your name and a password (12 characters or more) to accept the invite.</p>
          <Field label="Your name" name="name" autoComplete="name" required error={error} />
          <Field label="Password" name="password" type="password" autoComplete="new-password" required error={error} />
          <FormError error={error} fields={["body.name", "body.password"]} />
          <button type="submit" disabled={busy}>
            Accept invite
          </button>
        </form>
      )}
    </main>
  );
}
