// MFA enrolment when the organization requires it: the sign-in (or invite) answered an enrolment
// token (kept in sessionStorage for this tab only); set up an authenticator app, confirm a code,
// and the confirmation signs in with the cookie and shows the recovery codes once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { api, setCsrfToken, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { TotpQr } from "../components/totp-qr.tsx";
import { ErrorState, Loading } from "../components/states.tsx";

const KEY = "sb_enrollment_token";

export default function EnrolMfa() {
  const [token] = useState(() => sessionStorage.getItem(KEY));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [codes, setCodes] = useState<string[] | null>(null);
  const headers = { authorization: `Bearer ${token}` };
  const started = useQuery({
    queryKey: ["enrolment", token],
    queryFn: () => unwrap(api.POST("/v1/me/mfa/totp", { headers })),
    enabled: Boolean(token),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const confirm = useMutation({
    mutationFn: (code: string) =>
      unwrap(
        api.POST("/v1/me/mfa/totp/confirm", { params: { query: { session: "cookie" } }, headers, body: { code } }),
      ),
    onSuccess: async (answer) => {
      sessionStorage.removeItem(KEY);
      if (answer.csrf_token) setCsrfToken(answer.csrf_token);
      await queryClient.invalidateQueries({ queryKey: ["me"] });
      setCodes(answer.recovery_codes);
    },
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    confirm.mutate(String(new FormData(event.currentTarget).get("code")).trim());
  }

  if (!token)
    return (
      <main id="main" className="narrow">
        <h1>Set up two-factor sign-in</h1>
        <p>
          This page continues a sign-in. <Link to="/sign-in">Sign in</Link> first.
        </p>
      </main>
    );
  return (
    <main id="main" className="narrow">
      <h1>Set up two-factor sign-in</h1>
      {codes ? (
        <>
          <p>
            <strong>Recovery codes</strong>: each works once if you lose your authenticator. Store them now; they will
            not be shown again.
          </p>
          <ul className="codes" data-testid="recovery-codes">
            {codes.map((code) => (
              <li key={code}>
                <code>{code}</code>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => navigate({ to: "/overview" })}>
            Continue
          </button>
        </>
      ) : started.isPending ? (
        <Loading />
      ) : started.error ? (
        <ErrorState error={started.error} />
      ) : (
        <form onSubmit={submit} noValidate>
          <p>Your organization requires a second factor. Scan the code or add this key to your authenticator app:</p>
          <TotpQr uri={started.data.otpauth_uri} />
          <code className="secret-value" data-testid="totp-secret">
            {started.data.secret}
          </code>
          <p className="muted">
            Or open <a href={started.data.otpauth_uri}>the otpauth link</a> on this device.
          </p>
          <Field
            label="Code from the app"
            name="code"
            autoComplete="one-time-code"
            inputMode="numeric"
            required
            error={confirm.error}
          />
          <FormError error={confirm.error} fields={["body.code"]} />
          <button type="submit" disabled={confirm.isPending}>
            Confirm
          </button>
        </form>
      )}
    </main>
  );
}
