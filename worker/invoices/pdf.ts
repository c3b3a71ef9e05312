// A small PDF writer for business documents (invoices, credit notes): text, side-by-side blocks
// and tables on US Letter pages, in two of the standard 14 fonts (Helvetica, Helvetica-Bold,
// WinAnsi encoding), so no font is embedded. Hand-written because no PDF library fits the
// Worker's bundle budget (dev/bench/startup.ts: 800 KiB, ~33 KiB of headroom): pdf-lib 1.17.1 is
// 523 KB minified (dist/pdf-lib.esm.min.js, `npm pack --dry-run pdf-lib`, 2026-12-04), jsPDF
// is larger still. This file is ~10 KiB minified. What it writes: PDF 1.4, one uncompressed
// content stream per page (all ASCII: non-ASCII text is written as octal escapes, so byte offsets
// are string lengths), an xref table with exact offsets, "Page n of N" on every page, and a
// table's header repeated on each page it continues on. docs/billing.md, "Documents".

export type PdfFont = "regular" | "bold";
export type PdfAlign = "left" | "right";

export type PdfBlock =
  /** Lines of text, each wrapped to the page width. */
  | { kind: "text"; lines: string[]; font?: PdfFont; size?: number }
  /** Blocks of lines side by side (e.g. seller | billed to), each column wrapped to its share. */
  | { kind: "columns"; columns: { title?: string; lines: string[] }[]; size?: number }
  /** A table: header row in bold, rows (long cells wrap), then footer rows (totals) in bold. */
  | {
      kind: "table";
      columns: { header: string; width: number; align?: PdfAlign }[];
      rows: string[][];
      footer?: string[][];
    }
  | { kind: "space"; height: number };

export interface PdfDocumentModel {
  title: string;
  /** Shown with the page number at the foot of every page. */
  footer?: string;
  blocks: PdfBlock[];
}

const PAGE_WIDTH = 612;
const PAGE_HEIGHT = 792;
const MARGIN = 54;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const BOTTOM = MARGIN + 24; // room for the page footer
const BASE_SIZE = 10;

// Advance widths (1/1000 em) of WinAnsi 32..126, from Adobe's Helvetica and Helvetica-Bold AFM.
const ASCII_WIDTHS: Record<PdfFont, number[]> = {
  regular: [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
  ],
  bold: [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611,
    556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389,
    280, 389, 584,
  ],
};

// WinAnsi (CP1252) codes of the characters above 0x7F that are not Latin-1 (those map to themselves).
const WIN_ANSI: Record<string, number> = {
  "€": 0x80,
  "‚": 0x82,
  ƒ: 0x83,
  "„": 0x84,
  "…": 0x85,
  "†": 0x86,
  "‡": 0x87,
  ˆ: 0x88,
  "‰": 0x89,
  Š: 0x8a,
  "‹": 0x8b,
  Œ: 0x8c,
  Ž: 0x8e,
  "‘": 0x91,
  "’": 0x92,
  "“": 0x93,
  "”": 0x94,
  "•": 0x95,
  "–": 0x96,
  "—": 0x97,
  "˜": 0x98,
  "™": 0x99,
  š: 0x9a,
  "›": 0x9b,
  œ: 0x9c,
  ž: 0x9e,
  Ÿ: 0x9f,
};
// Widths of the wide or narrow ones among them (… ‰ — ™ • Œ œ); the rest count as 556.
const WIDE: Record<number, number> = { 133: 1000, 137: 1000, 151: 1000, 153: 1000, 149: 350, 140: 1000, 156: 944 };

/** A character's WinAnsi code; "?" (0x3f) for anything the encoding cannot show. */
function winAnsi(ch: string): number {
  const code = ch.codePointAt(0)!;
  if (code >= 0x20 && code <= 0x7e) return code;
  if (code >= 0xa0 && code <= 0xff) return code;
  return WIN_ANSI[ch] ?? 0x3f;
}

export function textWidth(text: string, font: PdfFont, size: number): number {
  let units = 0;
  for (const ch of text) {
    const code = winAnsi(ch);
    units += code <= 0x7e ? ASCII_WIDTHS[font][code - 32]! : (WIDE[code] ?? 556);
  }
  return (units * size) / 1000;
}

/** A PDF literal string: backslash and parentheses escaped, everything outside printable ASCII as octal. */
export function pdfString(text: string): string {
  let out = "(";
  for (const ch of text.replace(/[\t\r\n]+/g, " ")) {
    const code = winAnsi(ch);
    if (ch === "\\" || ch === "(" || ch === ")") out += `\\${ch}`;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else out += `\\${code.toString(8).padStart(3, "0")}`;
  }
  return `${out})`;
}

/** Greedy word wrap to `width` points; a word longer than a line is cut by character. */
export function wrap(text: string, font: PdfFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (textWidth(candidate, font, size) <= width) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    line = "";
    let rest = word;
    while (textWidth(rest, font, size) > width) {
      let cut = rest.length - 1;
      while (cut > 1 && textWidth(rest.slice(0, cut), font, size) > width) cut--;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    line = rest;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

const FONT_NAME: Record<PdfFont, string> = { regular: "F1", bold: "F2" };
const num = (n: number) => String(Math.round(n * 100) / 100);

/** Lays blocks out top to bottom, opening a new page whenever the next line would not fit. */
class Layout {
  readonly pages: string[][] = [[]];
  private y = PAGE_HEIGHT - MARGIN;

  private get ops() {
    return this.pages[this.pages.length - 1]!;
  }

  newPage() {
    this.pages.push([]);
    this.y = PAGE_HEIGHT - MARGIN;
  }

  /** Makes room for `height` points, on a new page if needed; returns true when a page was opened. */
  reserve(height: number): boolean {
    if (this.y - height >= BOTTOM) return false;
    this.newPage();
    return true;
  }

  advance(height: number) {
    this.y -= height;
  }

  /** One line of text whose top is `below` points under the cursor. */
  text(x: number, text: string, font: PdfFont, size: number, align: PdfAlign = "left", width = 0, below = 0) {
    const left = align === "right" ? x + width - textWidth(text, font, size) : x;
    const baseline = this.y - below - size;
    this.ops.push(`BT /${FONT_NAME[font]} ${size} Tf ${num(left)} ${num(baseline)} Td ${pdfString(text)} Tj ET`);
  }

  rule(weight: number) {
    this.ops.push(`${weight} w ${MARGIN} ${num(this.y)} m ${MARGIN + CONTENT_WIDTH} ${num(this.y)} l S`);
  }
}

function layoutText(layout: Layout, block: Extract<PdfBlock, { kind: "text" }>) {
  const font = block.font ?? "regular";
  const size = block.size ?? BASE_SIZE;
  for (const source of block.lines) {
    for (const line of wrap(source, font, size, CONTENT_WIDTH)) {
      layout.reserve(size * 1.4);
      layout.text(MARGIN, line, font, size);
      layout.advance(size * 1.4);
    }
  }
}

function layoutColumns(layout: Layout, block: Extract<PdfBlock, { kind: "columns" }>) {
  const size = block.size ?? BASE_SIZE;
  const gap = 18;
  const width = (CONTENT_WIDTH - gap * (block.columns.length - 1)) / block.columns.length;
  const wrapped = block.columns.map((column) => [
    ...(column.title ? [{ text: column.title, font: "bold" as const }] : []),
    ...column.lines.flatMap((l) => wrap(l, "regular", size, width).map((text) => ({ text, font: "regular" as const }))),
  ]);
  const rows = Math.max(...wrapped.map((c) => c.length));
  for (let r = 0; r < rows; r++) {
    layout.reserve(size * 1.4);
    wrapped.forEach((column, i) => {
      const line = column[r];
      if (line) layout.text(MARGIN + i * (width + gap), line.text, line.font, size);
    });
    layout.advance(size * 1.4);
  }
}

function layoutTable(layout: Layout, block: Extract<PdfBlock, { kind: "table" }>) {
  const size = BASE_SIZE - 1;
  const lineHeight = size * 1.45;
  const total = block.columns.reduce((s, c) => s + c.width, 0);
  const widths = block.columns.map((c) => (c.width / total) * CONTENT_WIDTH);
  const lefts = widths.map((_, i) => MARGIN + widths.slice(0, i).reduce((s, w) => s + w, 0));
  const pad = 4;
  const row = (cells: string[], font: PdfFont) => {
    const wrapped = widths.map((width, i) => wrap(cells[i] ?? "", font, size, width - 2 * pad));
    const height = Math.max(...wrapped.map((w) => w.length)) * lineHeight + 2;
    return { wrapped, height, font };
  };
  const draw = (r: ReturnType<typeof row>) => {
    for (const [i, lines] of r.wrapped.entries()) {
      for (const [n, line] of lines.entries()) {
        const width = widths[i]! - 2 * pad;
        layout.text(lefts[i]! + pad, line, r.font, size, block.columns[i]!.align, width, n * lineHeight);
      }
    }
    layout.advance(r.height);
  };
  const header = row(
    block.columns.map((c) => c.header),
    "bold",
  );
  const drawHeader = () => {
    draw(header);
    layout.rule(0.75);
    layout.advance(3);
  };
  layout.reserve(header.height * 2 + 3);
  drawHeader();
  for (const cells of block.rows) {
    const r = row(cells, "regular");
    if (layout.reserve(r.height)) drawHeader();
    draw(r);
  }
  if (block.footer?.length) {
    layout.reserve(3);
    layout.rule(0.75);
    layout.advance(3);
    for (const cells of block.footer) {
      const r = row(cells, "bold");
      layout.reserve(r.height);
      draw(r);
    }
  }
}

/** The document model as PDF bytes. */
export function renderPdf(model: PdfDocumentModel): Uint8Array {
  const layout = new Layout();
  for (const block of model.blocks) {
    if (block.kind === "text") layoutText(layout, block);
    else if (block.kind === "columns") layoutColumns(layout, block);
    else if (block.kind === "table") layoutTable(layout, block);
    else if (!layout.reserve(block.height)) layout.advance(block.height);
  }
  const pageCount = layout.pages.length;
  // Objects: 1 catalog, 2 page tree, 3-4 fonts, 5 info, then a page and its content per page.
  const objects: string[] = [];
  const pageIds = layout.pages.map((_, i) => 6 + i * 2);
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pageCount} >>`;
  objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
  objects[4] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>";
  objects[5] = `<< /Title ${pdfString(model.title)} /Producer (SecureBase) >>`;
  layout.pages.forEach((ops, i) => {
    const footer = `${model.footer ? `${model.footer} · ` : ""}Page ${i + 1} of ${pageCount}`;
    const foot = `BT /F1 8 Tf ${MARGIN} ${MARGIN} Td ${pdfString(footer)} Tj ET`;
    const stream = [...ops, foot].join("\n");
    objects[pageIds[i]!] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] ` +
      `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${pageIds[i]! + 1} 0 R >>`;
    objects[pageIds[i]! + 1] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  });
  // Everything above is ASCII, so a string's length is its byte length and offsets are exact.
  let out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = out.length;
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  // Latin-1 bytes: the binary comment's four bytes above 0x7F are the only non-ASCII characters.
  return Uint8Array.from(out, (ch) => ch.charCodeAt(0));
}
