// Password reset: without a token, ask for the email (the answer never says whether the account
// exists); with the emailed link's token, choose the new password.
import { Link } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { api, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { linkToken } from "../token-param.ts";

export default function ResetPassword() {
  const token = linkToken();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      if (token)
        await unwrap(
          api.POST("/v1/auth/password-resets/confirm", {
            body: { token, new_password: String(form.get("new_password")) },
          }),
        );
      else await unwrap(api.POST("/v1/auth/password-resets", { body: { email: String(form.get("email")) } }));
      setDone(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="narrow">
      <h1>Reset your password</h1>
      {done ? (
        <p role="status">
          {token
            ? "Your password is changed. "
            : "If an account has this email, a reset link is on its way. It works for a short while. "}
          <Link to="/sign-in">Sign in</Link>
        </p>
      ) : (
        <form onSubmit={submit} noValidate>
          {token ? (
            <Field
              label="New password"
              name="new_password"
              type="password"
              autoComplete="new-password"
              required
              error={error}
            />
          ) : (
            <Field label="Email" name="email" type="email" autoComplete="username" required error={error} />
          )}
          <FormError error={error} fields={["body.email", "body.new_password"]} />
          <button type="submit" disabled={busy}>
            {token ? "Set the new password" : "Email me a reset link"}
          </button>
        </form>
      )}
    </main>
  );
}
