import { canonicalIp, cidrText, parseCidr } from "../../lambda/core/ip";
import { UsageError } from "./errors";

/**
 * The canonical text of an address argument (the form the table keys use), or a {@link UsageError} naming it.
 * CIDRs are refused: bans are per address.
 */
export function requireIp(text: string): string {
  const ip = canonicalIp(text.trim());
  if (ip === undefined) throw new UsageError(`"${text}" is not an IPv4 or IPv6 address`);
  return ip;
}

/**
 * An address or CIDR argument (`unban`, `ignore`): an address in its canonical text, a CIDR as its network
 * (`198.51.100.7/24` -> `198.51.100.0/24`), or a {@link UsageError} naming it.
 */
export function requireIpOrCidr(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.includes("/")) {
    const ip = canonicalIp(trimmed);
    if (ip === undefined) throw new UsageError(`"${text}" is not an IPv4 or IPv6 address or CIDR`);
    return ip;
  }
  try {
    return cidrText(parseCidr(trimmed));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
