import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText } from "../../../lambda/core/config";

describe("parseConfigText", () => {
  it("reads a file named *.json as the JSON form", () => {
    const { config } = parseConfigText(
      JSON.stringify({ jails: [{ name: "sshd", enabled: true, maxretry: 4 }] }),
      "prod.JSON",
    );
    expect(config.jails.find((jail) => jail.name === "sshd")?.maxretry).toBe(4);
  });

  it("reads any other name as a jail.local, with its warnings", () => {
    const { config, warnings } = parseConfigText(
      "[DEFAULT]\nbanaction = iptables-multiport\nmaxretry = 2\n[sshd]\nenabled = true\n",
      "jail.local",
    );
    expect(config.jails.find((jail) => jail.name === "sshd")?.maxretry).toBe(2);
    expect(warnings.join("\n")).toMatch(/banaction/);
  });

  it("names the file when JSON does not parse", () => {
    expect(() => parseConfigText("{ jails: ", "broken.json")).toThrow(ConfigError);
    expect(() => parseConfigText("{ jails: ", "broken.json")).toThrow(/broken\.json: not valid JSON/);
  });
});
