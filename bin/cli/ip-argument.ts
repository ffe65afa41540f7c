import { canonicalIp } from "../../lambda/core/ip";
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
