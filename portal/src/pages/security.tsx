// Security: change password, authenticator app (TOTP), passkeys, and the organization's policy
// (editable with security_policy:write).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, unwrap } from "../api.ts";
import { Field, FormError } from "../components/field.tsx";
import { TotpQr } from "../components/totp-qr.tsx";
import { ErrorState, ListState, Loading } from "../components/states.tsx";
import { can, useMe } from "../session.ts";
import { createCredential, passkeysSupported } from "../webauthn.ts";

export default function Security() {
  const me = useMe();
  return (
    <>
      <h1>Security</h1>
      <Password />
      <Authenticator />
      <Passkeys />
      {can(me.data, "security_policy:read") ? <Policy writable={can(me.data, "security_policy:write")} /> : null}
    </>
  );
}

function Password() {
  const [done, setDone] = useState(false);
  const change = useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) =>
      unwrap(api.POST("/v1/me/password", { body })),
    onSuccess: () => setDone(true),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setDone(false);
    change.mutate({
      current_password: String(form.get("current_password")),
      new_password: String(form.get("new_password")),
    });
  }
  return (
    <section aria-labelledby="password-heading" className="panel">
      <h2 id="password-heading">Password</h2>
      <form onSubmit={submit} noValidate>
        <Field
          label="Current password"
          name="current_password"
          type="password"
          autoComplete="current-password"
          required
          error={change.error}
        />
        <Field
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          required
          error={change.error}
        />
        <FormError error={change.error} fields={["body.current_password", "body.new_password"]} />
        <button type="submit" disabled={change.isPending}>
          Change password
        </button>
        {done ? <p role="status">Password changed.</p> : null}
      </form>
    </section>
  );
}

function Authenticator() {
  const [secret, setSecret] = useState<{ secret: string; uri: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const start = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/me/mfa/totp")),
    onSuccess: (started) => setSecret({ secret: started.secret, uri: started.otpauth_uri }),
  });
  const confirm = useMutation({
    mutationFn: (code: string) => unwrap(api.POST("/v1/me/mfa/totp/confirm", { body: { code } })),
    onSuccess: (answer) => {
      setSecret(null);
      setCodes(answer.recovery_codes);
    },
  });
  return (
    <section aria-labelledby="totp-heading" className="panel">
      <h2 id="totp-heading">Authenticator app</h2>
      {codes ? (
        <>
          <p>Set up. Your recovery codes, shown only now:</p>
          <ul className="codes">
            {codes.map((code) => (
              <li key={code}>
                <code>{code}</code>
              </li>
            ))}
          </ul>
        </>
      ) : secret ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            confirm.mutate(String(new FormData(event.currentTarget).get("code")).trim());
          }}
          noValidate
        >
          <p>Scan the code or add this key to your authenticator app, then enter a code:</p>
          <TotpQr uri={secret.uri} />
          <code className="secret-value">{secret.secret}</code>
          <Field label="Code from the app" name="code" inputMode="numeric" required error={confirm.error} />
          <FormError error={confirm.error} fields={["body.code"]} />
          <button type="submit" disabled={confirm.isPending}>
            Confirm
          </button>
        </form>
      ) : (
        <>
          <FormError error={start.error} fields={[]} />
          <button type="button" onClick={() => start.mutate()} disabled={start.isPending}>
            Set up an authenticator app
          </button>
        </>
      )}
    </section>
  );
}

function Passkeys() {
  const queryClient = useQueryClient();
  const passkeys = useQuery({ queryKey: ["passkeys"], queryFn: () => unwrap(api.GET("/v1/me/passkeys")) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["passkeys"] });
  const add = useMutation({
    mutationFn: async () => {
      const options = await unwrap(api.POST("/v1/me/passkeys/options"));
      const response = await createCredential(options);
      return unwrap(api.POST("/v1/me/passkeys", { body: { response, name: "Passkey" } }));
    },
    onSuccess: () => void refresh(),
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/v1/me/passkeys/{id}", { params: { path: { id } } })),
    onSuccess: () => void refresh(),
  });
  return (
    <section aria-labelledby="passkeys-heading" className="panel">
      <h2 id="passkeys-heading">Passkeys</h2>
      <FormError error={add.error ?? remove.error} fields={[]} />
      <ListState query={{ ...passkeys, data: passkeys.data?.data }} empty="No passkeys yet.">
        {(rows) => (
          <ul>
            {rows.map((key) => (
              <li key={key.id}>
                {key.name} — added {new Date(key.created_at).toLocaleDateString()}
                {key.last_used_at ? `, last used ${new Date(key.last_used_at).toLocaleString()}` : ""}{" "}
                <button type="button" className="link" onClick={() => remove.mutate(key.id)}>
                  Remove {key.name}
                </button>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      {passkeysSupported() ? (
        <button type="button" onClick={() => add.mutate()} disabled={add.isPending}>
          Add a passkey
        </button>
      ) : null}
    </section>
  );
}

function Policy({ writable }: { writable: boolean }) {
  const queryClient = useQueryClient();
  const policy = useQuery({ queryKey: ["security-policy"], queryFn: () => unwrap(api.GET("/v1/security-policy")) });
  const update = useMutation({
    mutationFn: (body: { mfa_required: boolean; session_lifetime_minutes: number; idle_timeout_minutes: number }) =>
      unwrap(api.PATCH("/v1/security-policy", { body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["security-policy"] }),
  });
  if (policy.isPending) return <Loading />;
  if (policy.error) return <ErrorState error={policy.error} />;
  const p = policy.data;
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    update.mutate({
      mfa_required: form.get("mfa_required") === "on",
      session_lifetime_minutes: Number(form.get("session_lifetime_minutes")),
      idle_timeout_minutes: Number(form.get("idle_timeout_minutes")),
    });
  }
  return (
    <section aria-labelledby="policy-heading" className="panel">
      <h2 id="policy-heading">Organization policy</h2>
      {writable ? (
        <form onSubmit={submit} noValidate>
          <label className="check">
            <input type="checkbox" name="mfa_required" defaultChecked={p.mfa_required} /> Require a second factor
          </label>
          <Field
            label="Session lifetime (minutes)"
            name="session_lifetime_minutes"
            type="number"
            defaultValue={p.session_lifetime_minutes}
            error={update.error}
          />
          <Field
            label="Idle timeout (minutes)"
            name="idle_timeout_minutes"
            type="number"
            defaultValue={p.idle_timeout_minutes}
            error={update.error}
          />
          <FormError error={update.error} fields={["body.session_lifetime_minutes", "body.idle_timeout_minutes"]} />
          <button type="submit" disabled={update.isPending}>
            Save policy
          </button>
        </form>
      ) : (
        <ul>
          <li>Second factor required: {p.mfa_required ? "yes" : "no"}</li>
          <li>Session lifetime: {p.session_lifetime_minutes} minutes</li>
          <li>Idle timeout: {p.idle_timeout_minutes} minutes</li>
          <li>Sign-in methods: {p.allowed_sign_in_methods.join(", ")}</li>
        </ul>
      )}
    </section>
  );
}
