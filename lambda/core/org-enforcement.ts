import { IpSet } from "./ip";
import type { ActiveOrgBan } from "./org-ban-state";
import { isOrgJail } from "./org-event";
import { isIgnored } from "./policy";
import type { CloudjailConfig } from "./types";

/**
 * What a member does about one address once its organization state is known: the member's NACLs must hold the
 * organization's ban while it is in force, and only then. A member never bans what its own configuration protects,
 * never lifts a ban its own jails decided, and never shortens one.
 */

/** The member's own active ban of the address, as its table holds it. */
export interface LocalBanView {
  readonly jail: string;
  readonly banId: string;
  /** Epoch seconds; null: permanent. */
  readonly endsAt: number | null;
}

export type OrgEnforcement =
  | { readonly kind: "impose"; readonly ban: ActiveOrgBan }
  | { readonly kind: "reschedule"; readonly banId: string; readonly endsAt: number | null }
  | { readonly kind: "lift"; readonly banId: string; readonly why: string }
  | { readonly kind: "none"; readonly why: string };

/**
 * The step that makes the member agree with the organization for one address. `protectedBy` says why the member
 * must not ban it (its ignoreip, allowlist or protected CIDRs), undefined when nothing protects it.
 */
export function planOrgEnforcement(
  active: ActiveOrgBan | undefined,
  local: LocalBanView | undefined,
  protectedBy: string | undefined,
): OrgEnforcement {
  const fromOrganization = local !== undefined && isOrgJail(local.jail);
  if (protectedBy !== undefined) {
    return fromOrganization
      ? { kind: "lift", banId: local.banId, why: `protected here: ${protectedBy}` }
      : { kind: "none", why: `protected here: ${protectedBy}` };
  }
  if (active === undefined) {
    return fromOrganization
      ? { kind: "lift", banId: local.banId, why: "no origin holds a ban of it any more" }
      : { kind: "none", why: local === undefined ? "not banned anywhere" : "banned by a local jail" };
  }
  if (local === undefined) return { kind: "impose", ban: active };
  // A local jail's own decision stands; when it ends first, the unbanner's catch-up imposes the rest.
  if (!fromOrganization) return { kind: "none", why: `banned by the local jail ${local.jail}` };
  if (local.endsAt === active.endsAt) return { kind: "none", why: "already enforced" };
  return { kind: "reschedule", banId: local.banId, endsAt: active.endsAt };
}

/**
 * Why the member's own configuration protects `ip`, or undefined: any enabled jail's ignoreip (the member cannot
 * tell which of its jails the origin's jail corresponds to, so each protects), the NACL settings' protected CIDRs
 * (the VPCs' own blocks), or the allowlist's verdict passed in.
 */
export function memberProtection(
  config: CloudjailConfig,
  ip: string,
  allowlisted: boolean,
): string | undefined {
  if (allowlisted) return "the allowlist holds it";
  const jail = config.jails.find((each) => each.enabled && isIgnored(each, ip));
  if (jail !== undefined) return `ignoreip of jail ${jail.name}`;
  const cidrs = config.nacl.protectedCidrs ?? [];
  if (cidrs.length > 0 && new IpSet(cidrs).has(ip)) return "a protected CIDR of the network";
  return undefined;
}
