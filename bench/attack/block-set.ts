import { addressValue, type Cidr, ipFamily } from "../../lambda/core/ip";

/**
 * Blocked CIDRs (NACL entries, an overflow target's set) to test the simulated sources against in time that does
 * not grow with the number of blocks: one set of network numbers per prefix length. The full-size attack of issue 7
 * checks ten million lines against up to 10,000 overflow CIDRs.
 */
export class BlockSet {
  private readonly byPrefix = new Map<number, Set<bigint>>();

  constructor(blocks: readonly Cidr[]) {
    for (const block of blocks) {
      const bits = block.family === "ipv4" ? 32 : 128;
      const key = block.prefix + (block.family === "ipv4" ? 0 : 1000);
      const networks = this.byPrefix.get(key) ?? new Set<bigint>();
      networks.add(addressValue(block.address.toString()) >> BigInt(bits - block.prefix));
      this.byPrefix.set(key, networks);
    }
  }

  /** True when a block holds the canonical address `ip`. */
  has(ip: string): boolean {
    const family = ipFamily(ip);
    const value = addressValue(ip);
    for (const [key, networks] of this.byPrefix) {
      if (key >= 1000 !== (family === "ipv6")) continue;
      const prefix = key % 1000;
      if (networks.has(value >> BigInt((family === "ipv4" ? 32 : 128) - prefix))) return true;
    }
    return false;
  }
}
