// readPdf() for tests in workerd: the Node-side reader that test/global-setup.ts starts
// (test/helpers/pdf-reader.ts says why).
import { inject } from "vitest";
import type { PdfReading } from "./pdf-reader.ts";

export async function readPdf(bytes: ArrayBuffer | Uint8Array): Promise<PdfReading & { text: string }> {
  const response = await fetch(inject("pdfReaderUrl"), { method: "POST", body: bytes });
  if (!response.ok) throw new Error(`the PDF did not parse: ${await response.text()}`);
  const reading = await response.json<PdfReading>();
  return { ...reading, text: reading.pages.join("\n") };
}
