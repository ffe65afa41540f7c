import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalIp } from "../../../lambda/core/ip";
import { MAX_SSHD_MESSAGE, MAX_SSHD_USER } from "../../../lambda/core/line-limits";
import { detect, secure } from "./helpers";

/**
 * Attribution proven over generated input (issue 12, point 3): for every message shape, an address of any form sshd
 * writes and a hostile user name come back exactly as the address sshd wrote, or not at all; never an address that
 * is not in the line.
 */
const octet = fc.integer({ min: 0, max: 255 }).map(String);
const ipv4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join("."));
const hextet = fc.integer({ min: 0, max: 0xffff }).map((value) => value.toString(16));
const fullIpv6 = fc.array(hextet, { minLength: 8, maxLength: 8 }).map((parts) => parts.join(":"));
const compressedIpv6 = fc
  .tuple(fc.array(hextet, { minLength: 0, maxLength: 3 }), fc.array(hextet, { minLength: 0, maxLength: 3 }))
  .map(([head, tail]) => `${head.join(":")}::${tail.join(":")}`);
const mapped = ipv4.map((quad) => `::ffff:${quad}`);
const linkLocal = fc.array(hextet, { minLength: 1, maxLength: 4 }).map((parts) => `fe80::${parts.join(":")}`);
/** Every form sshd writes (getnameinfo NI_NUMERICHOST, zone-less). */
const address = fc.oneof(ipv4, fullIpv6, compressedIpv6, mapped, linkLocal);
const port = fc.integer({ min: 1, max: 65535 });

/** User names a client chooses: sshd's own words and addresses in them, spaces, sshd's octal escapes. */
const userPiece = fc.oneof(
  fc.constantFrom(
    " ",
    "root",
    "x",
    "\\012",
    "\\033",
    " ssh2",
    " [preauth]",
    ": ",
    " port 22",
    "invalid user ",
  ),
  address.map((ip) => ` from ${ip} port 22`),
  address.map((ip) => ` ${ip} port 2222 ssh2`),
  address.map((ip) => `${ip}`),
);
const userName = fc
  .array(userPiece, { minLength: 0, maxLength: 6 })
  .map((pieces) => pieces.join("").slice(0, MAX_SSHD_USER));

type Shape = (user: string, ip: string, port: number) => string;

/** Each message shape sshd writes with an address, as its format string puts user and address. */
const SHAPES: Readonly<Record<string, Shape>> = {
  "failed password": (u, ip, p) => `Failed password for ${u} from ${ip} port ${p} ssh2`,
  "failed password, invalid user": (u, ip, p) =>
    `Failed password for invalid user ${u} from ${ip} port ${p} ssh2`,
  "failed hostbased with client info": (u, ip, p) =>
    `Failed hostbased for ${u} from ${ip} port ${p} ssh2: RSA SHA256:abc, client user "${u}", client host "${u}"`,
  "failed publickey, invalid user": (u, ip, p) =>
    `Failed publickey for invalid user ${u} from ${ip} port ${p} ssh2: ED25519 SHA256:abc`,
  "invalid user": (u, ip, p) => `Invalid user ${u} from ${ip} port ${p}`,
  "user not allowed": (u, ip) => `User ${u} from ${ip} not allowed because not listed in AllowUsers`,
  "maximum authentication attempts": (u, ip, p) =>
    `error: maximum authentication attempts exceeded for ${u} from ${ip} port ${p} ssh2 [preauth]`,
  "PAM error": (u, ip) => `error: PAM: Authentication failure for ${u} from ${ip}`,
  "PAM error, macOS": (u, ip) => `error: PAM: authentication error for ${u} from ${ip} via 10.0.0.1`,
  "closed by authenticating user": (u, ip, p) =>
    `Connection closed by authenticating user ${u} ${ip} port ${p} [preauth]`,
  "disconnecting, too many failures": (u, ip, p) =>
    `Disconnecting invalid user ${u} ${ip} port ${p}: Too many authentication failures [preauth]`,
  "dispatch fatal with a user": (u, ip, p) =>
    `ssh_dispatch_run_fatal: Connection from authenticating user ${u} ${ip} port ${p}: Connection corrupted [preauth]`,
  "no identification string": (_u, ip, p) => `Did not receive identification string from ${ip} port ${p}`,
  "bad protocol version": (u, ip, p) => `Bad protocol version identification '${u}' from ${ip} port ${p}`,
  "banner exchange": (_u, ip, p) => `banner exchange: Connection from ${ip} port ${p}: invalid format`,
  "unable to negotiate": (u, ip, p) =>
    `Unable to negotiate with ${ip} port ${p}: no matching key exchange method found. Their offer: ${u} [preauth]`,
  "received disconnect": (u, ip, p) =>
    `Received disconnect from ${ip} port ${p}:3: ${u}: Auth fail [preauth]`,
  "root login refused": (_u, ip, p) => `ROOT LOGIN REFUSED FROM ${ip} port ${p} [preauth]`,
  "timeout (session)": (_u, ip, p) => `fatal: Timeout before authentication for ${ip} port ${p}`,
  "closed before authentication": (_u, ip, p) => `Connection closed by ${ip} port ${p} [preauth]`,
  "penalty drop": (_u, ip, p) =>
    `drop connection #3 from [${ip}]:${p} on [10.0.0.1]:22 penalty: failed authentication`,
};

describe("attribution over every message shape", () => {
  it.each(Object.entries(SHAPES))("%s: the address sshd wrote, or none", (_name, shape) => {
    fc.assert(
      fc.property(address, userName, port, (ip, user, sourcePort) => {
        const message = shape(user, ip, sourcePort);
        fc.pre(message.length <= MAX_SSHD_MESSAGE);
        const { ips } = detect([secure(4242, message)], "aggressive");
        const wrote = canonicalIp(ip);
        for (const found of ips) expect(found).toBe(wrote);
        expect(ips.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it.each(Object.entries(SHAPES))("%s: counts the address when the user name is plain", (_name, shape) => {
    fc.assert(
      fc.property(address, fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/), port, (ip, user, sourcePort) => {
        const { ips } = detect([secure(4242, shape(user, ip, sourcePort))], "aggressive");
        expect(ips).toEqual([canonicalIp(ip)]);
      }),
      { numRuns: 100 },
    );
  });

  it("takes an address from the connection's earlier lines only when the line reads both ways", () => {
    const ambiguous = "Failed password for x from 127.0.0.1 port 22 ssh2: from 192.0.2.1 port 5 ssh2";
    expect(detect([secure(7, ambiguous)]).ips).toEqual([]);
    const known = secure(7, "Connection from 192.0.2.1 port 5 on 10.0.0.1 port 22");
    expect(detect([known, secure(7, ambiguous)]).ips).toEqual(["192.0.2.1"]);
    const other = secure(7, "Connection from 198.51.100.3 port 5 on 10.0.0.1 port 22");
    expect(detect([other, secure(7, ambiguous)]).ips).toEqual([]);
  });
});
