// A secret shown once (a new or rotated API key): copy button, and a warning it will not be shown
// again. It lives only in this component's state.
import { useState } from "react";

export function SecretOnce({ label, secret, onDone }: { label: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <section className="secret" aria-label={label}>
      <p>
        <strong>{label}</strong>: copy it now, it will not be shown again.
      </p>
      <code className="secret-value" data-testid="secret-value">
        {secret}
      </code>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={async () => {
            await navigator.clipboard?.writeText(secret).catch(() => undefined);
            setCopied(true);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}
