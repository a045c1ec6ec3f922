/**
 * The rate card Cost Explorer's meters charge by: the same prices the price
 * list (catalog.ts) publishes, looked up per region and usage. One place, so
 * that GetProducts and GetCostAndUsage always agree.
 */
import { onDemandPrice } from "../ec2/spot/prices.js";
import { regionMultiplier, round, storageData } from "./catalog.js";

/** USD per instance-hour on demand (undefined for a type Stratus does not price). */
export function instanceHourRate(type: string, region: string, product: string): number | undefined {
  return onDemandPrice(type, region, product);
}

/** USD per GB-month of an EBS volume type (gp3, io1, ...). */
export function volumeRate(volumeType: string, region: string): number {
  const volume = storageData().ebsVolumes[volumeType];
  return volume ? round(volume.perGbMonth * regionMultiplier(region)) : 0;
}

/** USD per IOPS-month or MiBps-month of provisioned performance ("gp3-iops", "gp3-throughput", "io1-iops", "io2-iops"). */
export function provisionedRate(key: string, region: string): number {
  const entry = storageData().ebsProvisioned[key];
  return entry ? round(entry.price * regionMultiplier(region)) : 0;
}

/** USD per GB-month of snapshot data ("standard" or "archive" tier). */
export function snapshotRate(tier: string, region: string): number {
  const entry = storageData().ebsSnapshots[tier] ?? storageData().ebsSnapshots.standard;
  return round(entry.perGbMonth * regionMultiplier(region));
}

/** USD per GB-month of S3 storage in a storage class (the first volume tier). */
export function s3StorageRate(storageClass: string, region: string): number {
  const entry = storageData().s3Storage[storageClass] ?? storageData().s3Storage.STANDARD;
  return round(entry.tiers[0][2] * regionMultiplier(region));
}

/** The usage type S3 bills a storage class's storage under ("TimedStorage-SIA-ByteHrs"). */
export function s3StorageUsage(storageClass: string): string {
  return (storageData().s3Storage[storageClass] ?? storageData().s3Storage.STANDARD).usage;
}

/** USD per request of a tier ("Tier1": PUT/COPY/POST/LIST, "Tier2": GET and the rest). */
export function s3RequestRate(tier: "Tier1" | "Tier2", region: string): number {
  return (storageData().s3Requests[tier].per1000 * regionMultiplier(region)) / 1000;
}

/** USD per hour of a public IPv4 address, in use or idle, and the usage type and operation it is billed under. */
export function publicIpv4Rate(state: "InUse" | "Idle", region: string): { perHour: number; usage: string; operation: string } {
  const address = storageData().publicIpv4[state];
  return { perHour: round(address.perHour * regionMultiplier(region)), usage: address.usage, operation: address.operation };
}

/** USD per GB transferred out to the internet. */
export function dataTransferOutRate(region: string): number {
  return round(storageData().dataTransferOutPerGb * regionMultiplier(region));
}
