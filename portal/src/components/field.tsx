// A labelled input whose 422 field error (problem `errors[]`, e.g. "body.email") shows beside it
// and is tied to it with aria-describedby.
import { type InputHTMLAttributes, useId } from "react";
import { ApiError } from "../api.ts";

type Props = InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  name: string;
  /** The problem field this input answers for; default `body.<name>`. */
  field?: string;
  error?: unknown;
};

export function Field({ label, name, field, error, ...input }: Props) {
  const id = useId();
  const message = error instanceof ApiError ? error.fieldError(field ?? `body.${name}`) : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        aria-invalid={message ? true : undefined}
        aria-describedby={message ? `${id}-error` : undefined}
        {...input}
      />
      {message ? (
        <p className="field-error" id={`${id}-error`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}

/** A form-level error: the problem unless a field error already shows it. */
export function FormError({ error, fields }: { error: unknown; fields: string[] }) {
  if (!error) return null;
  if (error instanceof ApiError && error.problem.errors?.some((e) => fields.includes(e.field))) return null;
  const detail = error instanceof ApiError ? error.problem.detail : "Something went wrong.";
  const requestId = error instanceof ApiError ? error.requestId : null;
  return (
    <div className="form-error" role="alert">
      <p>{detail}</p>
      {requestId ? (
        <p className="request-id">
          Request id: <code>{requestId}</code>
        </p>
      ) : null}
    </div>
  );
}
