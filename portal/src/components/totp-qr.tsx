// The otpauth:// URI of a TOTP enrolment as a QR code for an authenticator app to scan, drawn as
// SVG rects from uqr's module matrix: no inline style, no injected markup (the CSP of docs/portal.md).
import { useMemo } from "react";
import { encode } from "uqr";

export function TotpQr({ uri }: { uri: string }) {
  const qr = useMemo(() => encode(uri, { ecc: "M", border: 2 }), [uri]);
  const dark: { x: number; y: number }[] = [];
  qr.data.forEach((row, y) => {
    row.forEach((on, x) => {
      if (on) dark.push({ x, y });
    });
  });
  return (
    <svg
      className="totp-qr"
      role="img"
      aria-label="QR code of the authenticator key: scan it with your authenticator app"
      viewBox={`0 0 ${qr.size} ${qr.size}`}
      data-modules={qr.size}
      shapeRendering="crispEdges"
    >
      <rect width={qr.size} height={qr.size} fill="#ffffff" />
      {dark.map(({ x, y }) => (
        <rect key={`${x}-${y}`} className="qr-dark" x={x} y={y} width={1} height={1} fill="#000000" />
      ))}
    </svg>
  );
}
