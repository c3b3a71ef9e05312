// Reads PDFs back for the tests, in Node: pdf.js does not load inside workerd (its Node detection
// sees nodejs_compat's `process` and reaches for the native @napi-rs/canvas), so test/global-setup.ts
// serves it over HTTP (POST the PDF, get its text per page and an xref check) and tests in
// workerd call readPdf(). The xref check is exact: pdf.js would quietly rebuild a broken table.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface PdfReading {
  pages: string[];
  title: string | null;
  /** Every in-use xref entry points at "<n> 0 obj" and startxref points at "xref". */
  xrefValid: boolean;
}

function checkXref(bytes: Uint8Array): boolean {
  const text: string = Buffer.from(bytes).toString("latin1");
  const start = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(text);
  if (!start) return false;
  const at = Number(start[1]);
  if (text.slice(at, at + 4) !== "xref") return false;
  const header = /^xref\s+0 (\d+)\s+/.exec(text.slice(at));
  if (!header) return false;
  const count = Number(header[1]);
  const entries: string[] = text
    .slice(at + header[0].length)
    .split("\n")
    .slice(0, count);
  return entries.every((entry: string, n: number) => {
    if (n === 0) return entry.startsWith("0000000000 65535 f");
    const offset = Number(entry.slice(0, 10));
    return entry.slice(17, 18) === "n" && text.startsWith(`${n} 0 obj`, offset);
  });
}

export async function readPdfInNode(bytes: Uint8Array): Promise<PdfReading> {
  const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
  const task = pdfjs.getDocument({ data: bytes.slice(), verbosity: 0 });
  const doc = await task.promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : " ") : "")).join(""));
  }
  const { info } = (await doc.getMetadata()) as { info: { Title?: string } };
  await task.destroy();
  return { pages, title: info.Title ?? null, xrefValid: checkXref(bytes) };
}

/** POST /read with a PDF body → PdfReading as JSON. */
export async function startPdfReader(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const reading = await readPdfInNode(new Uint8Array(Buffer.concat(chunks)));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reading));
    } catch (error) {
      res.writeHead(422, { "content-type": "text/plain" }).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/read`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
