import { type IpRecord, recordKey } from "../../lambda/aws/store-items";

/** An IPv4 address's record after one sshd ban, without the ban: what tests build on. */
export function recordAfterOneBan(ip: string): Omit<IpRecord, "version"> {
  return {
    ...recordKey(ip),
    kind: "ip",
    ip,
    family: "ipv4",
    cidr: `${ip}/32`,
    banCount: 1,
    banCountByJail: { sshd: 1 },
    recentBans: [],
    updatedAtIso: "2026-11-25T12:00:00.000Z",
  };
}
