import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../lambda/core/config";
import { interpolated, readIni } from "../../../lambda/core/ini-reader";

const optionValue = (text: string, sectionName: string, key: string) => {
  const document = readIni(text, "jail.local");
  const section =
    sectionName === "DEFAULT" ? document.defaults : document.sections.find((s) => s.name === sectionName);
  if (!section) throw new Error(`no [${sectionName}]`);
  return interpolated(document, section, key)?.value;
};

describe("readIni", () => {
  it("reads sections, options with = or :, and lowercases option names", () => {
    const text = "[DEFAULT]\nBanTime = 1h\n[sshd]\nmaxretry: 3\n";
    expect(optionValue(text, "sshd", "bantime")).toBe("1h");
    expect(optionValue(text, "sshd", "maxretry")).toBe("3");
  });

  it("keeps colons inside values (IPv6)", () => {
    expect(optionValue("[DEFAULT]\nignoreip = ::1 2001:db8::/32\n", "DEFAULT", "ignoreip")).toBe(
      "::1 2001:db8::/32",
    );
  });

  it("skips # and ; comments, inline comments after white space and trailing white space", () => {
    const text = "# top\n[DEFAULT]  \n; note\nbantime = 1h   # one hour  \nfindtime = 10m ; ten minutes\n";
    expect(optionValue(text, "DEFAULT", "bantime")).toBe("1h");
    expect(optionValue(text, "DEFAULT", "findtime")).toBe("10m");
  });

  it("joins indented continuation lines with newlines, skipping comments between them", () => {
    const text =
      "[custom]\nfailregex = ^one <HOST>$\n    # a comment\n            ^two <HOST>$\nmaxretry = 2\n";
    expect(optionValue(text, "custom", "failregex")).toBe("^one <HOST>$\n^two <HOST>$");
    expect(optionValue(text, "custom", "maxretry")).toBe("2");
  });

  it("reads CRLF line ends and a byte-order mark", () => {
    expect(optionValue("\uFEFF[DEFAULT]\r\nbantime = 1h\r\n", "DEFAULT", "bantime")).toBe("1h");
  });

  it("expands %(name)s from the section, then [DEFAULT], and %(__name__)s to the section name", () => {
    const text = "[DEFAULT]\nmode = normal\nfilter = %(__name__)s[mode=%(mode)s]\n[sshd]\nmode = extra\n";
    expect(optionValue(text, "sshd", "filter")).toBe("sshd[mode=extra]");
  });

  it("names the file and line of an unresolved reference", () => {
    expect(() => optionValue("[sshd]\nlogpath = %(sshd_log)s\n", "sshd", "logpath")).toThrow(
      /jail\.local:2: "logpath" refers to %\(sshd_log\)s, which is not defined/,
    );
  });

  it("reports a reference loop instead of hanging", () => {
    expect(() => optionValue("[DEFAULT]\na = %(b)s\nb = %(a)s\n", "DEFAULT", "a")).toThrow(/loop/);
  });

  it("names the file and line of a line it cannot read", () => {
    expect(() => readIni("[sshd]\nenabled true\n", "my.local")).toThrow(ConfigError);
    expect(() => readIni("[sshd]\nenabled true\n", "my.local")).toThrow(
      /my\.local:2: cannot read "enabled true"/,
    );
  });

  it("rejects an option before any section, naming the line", () => {
    expect(() => readIni("bantime = 1h\n", "jail.local")).toThrow(
      /jail\.local:1: option "bantime" appears before any \[section\]/,
    );
  });
});
