// RFC 4180 and spreadsheet-safe cells.
import { describe, expect, it } from "vitest";
import { csvCell, toCsv } from "../../worker/analytics/csv.ts";

describe("csvCell", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\rhere", '"cr\rhere"'],
    ["=1+1", `"'=1+1"`],
    ["+1", `"'+1"`],
    ["-2", `"'-2"`],
    ["@SUM(A1)", `"'@SUM(A1)"`],
    ["\tTAB", `"'\tTAB"`],
    ["\r=1", `"'\r=1"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ["", ""],
  ])("%j → %s", (input, output) => {
    expect(csvCell(input)).toBe(output);
  });

  it("writes numbers, booleans and null as they are (a negative amount is not a formula)", () => {
    expect(csvCell(-500)).toBe("-500");
    expect(csvCell(12.5)).toBe("12.5");
    expect(csvCell(true)).toBe("true");
    expect(csvCell(null)).toBe("");
  });
});

describe("toCsv", () => {
  it("has a header row, the columns in order, CRLF after every record", () => {
    expect(
      toCsv(
        ["b", "a"],
        [
          { a: 1, b: "x" },
          { a: 2, b: null },
        ],
      ),
    ).toBe("b,a\r\nx,1\r\n,2\r\n");
    expect(toCsv(["only"], [])).toBe("only\r\n");
  });
});
