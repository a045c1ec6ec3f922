/**
 * Instance-hours for Cost Explorer: every metrics period, each instance that
 * ran during it is charged for the seconds it ran (per-second billing with a
 * 60-second minimum per run, as EC2 bills Linux), on demand at its type's
 * price or, for spot instances, at the spot price in effect.
 */
import type { Cloud } from "../../../cloud.js";
import type { Scope } from "../../../state/documents.js";
import { tagMap, usageLedger, type UsageItem } from "../../ce/ledger.js";
import { usagePrefix } from "../../pricing/catalog.js";
import { instanceHourRate } from "../../pricing/rates.js";
import { spotPriceAt } from "../spot/prices.js";
import type { InstanceRecord } from "../state.js";

const HOUR_S = 3600;
const MINIMUM_MS = 60_000;

/** EC2's operation code per platform (what RunInstances is billed as). */
const OPERATIONS: Record<string, string> = {
  "Linux/UNIX": "RunInstances",
  "Red Hat Enterprise Linux": "RunInstances:0010",
  "SUSE Linux": "RunInstances:000g",
  Windows: "RunInstances:0002",
};

export function platformOf(record: InstanceRecord): string {
  const details = record.PlatformDetails ?? (String(record.Platform).toLowerCase() === "windows" ? "Windows" : "Linux/UNIX");
  return OPERATIONS[details] ? details : "Linux/UNIX";
}

/**
 * Charges the part [from, to) of a run that began at `run.start` (and, when
 * `run.end` is set, ended then). [from, to) lies inside one metrics period of
 * five minutes, so inside one hour.
 */
export function chargeInstance(cloud: Cloud, scope: Scope, record: InstanceRecord, from: number, to: number, run: { start: number; end?: number }): void {
  let ms = to - from;
  // A run shorter than a minute is billed as one minute, when it ends.
  if (run.end !== undefined && run.end === to && run.end - run.start < MINIMUM_MS) ms += MINIMUM_MS - (run.end - run.start);
  if (ms <= 0) return;
  const type = record.InstanceType ?? "";
  const platform = platformOf(record);
  const zone = record.Placement?.AvailabilityZone ?? "";
  const spot = record.InstanceLifecycle === "spot";
  const rate = spot
    ? spotPriceAt({ type, zone, product: platform }, scope.region, from).price
    : (instanceHourRate(type, scope.region, platform) ?? 0);
  const hours = ms / 1000 / HOUR_S;
  const item: UsageItem = {
    service: "Amazon Elastic Compute Cloud - Compute",
    usageType: `${usagePrefix(scope.region)}${spot ? "SpotUsage" : "BoxUsage"}:${type}`,
    operation: OPERATIONS[platform],
    unit: "Hrs",
    resource: record.InstanceId!,
    quantity: hours,
    cost: hours * rate,
    az: zone,
    instanceType: type,
    purchaseType: spot ? "Spot Instances" : "On Demand Instances",
    platform,
    usageGroup: "EC2: Running Hours",
    tags: tagMap(record.Tags),
  };
  usageLedger(cloud).record(scope, from, [item]);
}
