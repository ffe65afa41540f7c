import type { NetworkFirewallClient } from "@aws-sdk/client-network-firewall";
import type { WAFV2Client } from "@aws-sdk/client-wafv2";
import { FamilyOverflow } from "./family-overflow";
import { NetworkFirewallIpSet } from "./network-firewall-ip-set";
import type { OverflowRef } from "./overflow-ref";
import type { OverflowTarget } from "./overflow-target";
import { WafIpSet, type WafIpSetOptions } from "./waf-ip-set";

/** The clients an overflow target talks through: the one its kind needs. */
export interface OverflowClients {
  readonly wafv2?: WAFV2Client;
  readonly networkFirewall?: NetworkFirewallClient;
}

/**
 * The adapter of `ref`: WAFv2 IP sets by family, or a Network Firewall IP set variable (clients built with SDK_RETRY).
 * `wafPacing`: the clock and the wait of WAF's one-update-per-second spacing (tests inject simulated ones).
 */
export function createOverflowTarget(
  ref: OverflowRef,
  clients: OverflowClients,
  wafPacing: WafIpSetOptions = {},
): OverflowTarget {
  if (ref.kind === "network-firewall") {
    if (clients.networkFirewall === undefined)
      throw new Error("a Network Firewall overflow needs its client");
    return new NetworkFirewallIpSet(clients.networkFirewall, ref);
  }
  const waf = clients.wafv2;
  if (waf === undefined) throw new Error("a WAF overflow needs a WAFv2 client");
  return new FamilyOverflow({
    ipv4: new WafIpSet(waf, { ...ref.ipv4, scope: ref.scope }, wafPacing),
    ...(ref.ipv6 === undefined
      ? {}
      : { ipv6: new WafIpSet(waf, { ...ref.ipv6, scope: ref.scope }, wafPacing) }),
  });
}
