/**
 * Public IPv4 addresses for Cost Explorer, as AWS bills them since 2024:
 * every public IPv4 address costs by the hour, "in use" while on a running
 * instance (or a network interface) and "idle" while it is an Elastic IP on
 * nothing that runs. An instance's auto-assigned address is charged with the
 * instance's running time (instances/metrics.ts); Elastic IPs are metered
 * here, from their allocation to their release: every hour of the clock, and
 * whenever they are associated or disassociated, the time since the last
 * charge is charged in the state it was in.
 */
import type { Cloud } from "../../../cloud.js";
import type { Address } from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { HOUR_MS, tagMap, usageLedger } from "../../ce/ledger.js";
import { usagePrefix } from "../../pricing/catalog.js";
import { publicIpv4Rate } from "../../pricing/rates.js";

export const VPC_SERVICE = "Amazon Virtual Private Cloud";

/** An Elastic IP's record with its metering marks. */
export type MeteredAddress = Address & {
  /** Epoch ms of the allocation. */
  _allocatedAt?: number;
  /** Epoch ms up to which it has been charged. */
  _billedTo?: number;
};

/** Charges [from, to) of a public address in a state, hour by hour. */
export function chargePublicIp(cloud: Cloud, scope: Scope, state: "InUse" | "Idle", resource: string, from: number, to: number, tags?: Record<string, string>): void {
  const rate = publicIpv4Rate(state, scope.region);
  for (let start = from; start < to; ) {
    const end = Math.min(to, (Math.floor(start / HOUR_MS) + 1) * HOUR_MS);
    const hours = (end - start) / HOUR_MS;
    usageLedger(cloud).record(scope, start, [
      {
        service: VPC_SERVICE,
        usageType: `${usagePrefix(scope.region)}${rate.usage}`,
        operation: rate.operation,
        unit: "Hrs",
        resource,
        quantity: hours,
        cost: hours * rate.perHour,
        usageGroup: "VPC: Public IPv4 Address",
        tags,
      },
    ]);
    start = end;
  }
}

/**
 * Charges an Elastic IP up to `until` in the state it has been in (`inUse`:
 * on a running instance or an interface) and returns the new mark.
 */
export function chargeElasticIp(cloud: Cloud, scope: Scope, address: MeteredAddress, until: number, inUse: boolean): number {
  const from = address._billedTo ?? address._allocatedAt ?? until;
  if (until > from) chargePublicIp(cloud, scope, inUse ? "InUse" : "Idle", address.AllocationId!, from, until, tagMap(address.Tags));
  return Math.max(until, from);
}
