import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../lambda/core/duration";

describe("parseDuration", () => {
  it("reads plain seconds as fail2ban does", () => {
    expect(parseDuration("3600")).toBe(3600);
    expect(parseDuration(" 300 ")).toBe(300);
  });

  it("reads fail2ban's abbreviations and sums them", () => {
    expect(parseDuration("10m")).toBe(600);
    expect(parseDuration("24h")).toBe(86_400);
    expect(parseDuration("1d12h")).toBe(129_600);
    expect(parseDuration("1w")).toBe(604_800);
    expect(parseDuration("2 hours 30 minutes")).toBe(9_000);
  });

  it("reads -1 as permanent", () => {
    expect(parseDuration("-1")).toBe(-1);
  });

  it("rejects nonsense with a message that shows what is valid", () => {
    expect(() => parseDuration("soon")).toThrow(/10m, 24h/);
    expect(() => parseDuration("")).toThrow();
    expect(() => parseDuration("5 fortnights")).toThrow(/not a duration/);
  });
});

describe("formatDuration", () => {
  it("writes durations back in fail2ban's abbreviations", () => {
    expect(formatDuration(3600)).toBe("1h");
    expect(formatDuration(129_600)).toBe("1d12h");
    expect(formatDuration(-1)).toBe("permanent");
  });
});
