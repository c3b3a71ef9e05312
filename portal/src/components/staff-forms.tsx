// Small pieces the staff console's forms share: the tiers, and a labelled select whose 422 field
// error shows beside it (as Field does for inputs, components/field.tsx).
import { useId } from "react";
import type { components } from "../../../client/securebase.ts";
import { ApiError } from "../api.ts";

type Tier = components["schemas"]["Customer"]["tier"];
export const TIERS: Tier[] = ["standard", "fintech", "healthcare", "gov_federal"];
const TIER_LABELS: Record<Tier, string> = {
  standard: "Standard",
  fintech: "Fintech",
  healthcare: "Healthcare",
  gov_federal: "Gov Federal",
};
export const tierLabel = (tier: Tier) => TIER_LABELS[tier];

export function SelectField(props: {
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
  field: string;
  error?: unknown;
}) {
  const id = useId();
  const message = props.error instanceof ApiError ? props.error.fieldError(props.field) : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={message ? true : undefined}
        aria-describedby={message ? `${id}-error` : undefined}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {message ? (
        <p className="field-error" id={`${id}-error`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}

/** A reason box for an audited staff action (the API records it in the customer's audit trail). */
export function ReasonField(props: { label: string; name: string; field: string; error?: unknown }) {
  const id = useId();
  const message = props.error instanceof ApiError ? props.error.fieldError(props.field) : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <textarea
        id={id}
        name={props.name}
        required
        minLength={3}
        maxLength={500}
        aria-invalid={message ? true : undefined}
        aria-describedby={message ? `${id}-error` : undefined}
      />
      {message ? (
        <p className="field-error" id={`${id}-error`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}
