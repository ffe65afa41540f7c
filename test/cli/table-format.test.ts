import { describe, expect, it } from "vitest";
import { formatTable, formatTime } from "../../bin/cli/table-format";

describe("formatTable", () => {
  it("pads every column to its widest cell and right-aligns numbers", () => {
    const text = formatTable(
      [{ heading: "IP" }, { heading: "Failures", align: "right" }],
      [
        ["203.0.113.10", "3"],
        ["2001:db8:4::77", "12"],
      ],
      "nothing",
    );
    expect(text).toBe(
      [
        "IP              Failures",
        "--------------  --------",
        "203.0.113.10           3",
        "2001:db8:4::77        12",
        "",
      ].join("\n"),
    );
  });

  it("prints the empty message instead of a lone heading", () => {
    expect(formatTable([{ heading: "IP" }], [], "no IP is banned")).toBe("no IP is banned\n");
  });

  it("counts characters, not UTF-16 units, so a user name with an emoji keeps the columns straight", () => {
    const text = formatTable(
      [{ heading: "User" }, { heading: "IP" }],
      [
        ["😀x", "1.2.3.4"],
        ["ab", "5.6.7.8"],
      ],
      "",
    );
    const [, , first, second] = text.split("\n");
    expect([...(first ?? "")].indexOf("1")).toBe([...(second ?? "")].indexOf("5"));
  });

  it("never leaves trailing spaces on a line", () => {
    const text = formatTable([{ heading: "A" }, { heading: "Long heading" }], [["x", ""]], "");
    for (const line of text.split("\n")) expect(line).toBe(line.trimEnd());
  });
});

describe("formatTime", () => {
  it("shows a UTC time to the second", () => {
    expect(formatTime(Date.UTC(2026, 10, 25, 12, 53, 46, 900))).toBe("2026-11-25 12:53:46Z");
  });

  it('says "never" for the end of a permanent ban and "-" for no time', () => {
    expect(formatTime(null)).toBe("never");
    expect(formatTime(undefined)).toBe("-");
  });
});
