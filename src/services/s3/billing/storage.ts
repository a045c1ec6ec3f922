/**
 * S3 storage for Cost Explorer: the bytes each bucket holds per storage class,
 * measured once a day at midnight UTC (with the daily storage metrics), are
 * charged as GB-months for every hour of the day that just ended (from the
 * bucket's creation, if that was later).
 */
import type { Cloud } from "../../../cloud.js";
import { HOUR_MS, hoursInMonth, usageLedger, type UsageItem } from "../../ce/ledger.js";
import { usagePrefix } from "../../pricing/catalog.js";
import { s3StorageRate, s3StorageUsage } from "../../pricing/rates.js";
import type { Tag } from "../../../generated/s3.js";
import { BucketConfigs } from "../ext/configs.js";
import type { BucketRecord } from "../hooks.js";
import { STORAGE_TYPE } from "../metrics/sink.js";

export const S3_SERVICE = "Amazon Simple Storage Service";
const GIB = 1024 ** 3;

/** The usage type group S3 bills each storage class's storage under (the operation is its StorageType). */
const USAGE_GROUP: Record<string, string> = {
  STANDARD: "S3: Storage - Standard",
  REDUCED_REDUNDANCY: "S3: Storage - Reduced Redundancy",
  STANDARD_IA: "S3: Storage - Standard Infrequent Access",
  ONEZONE_IA: "S3: Storage - One Zone Infrequent Access",
  INTELLIGENT_TIERING: "S3: Storage - Intelligent-Tiering",
  INTELLIGENT_TIERING_IA: "S3: Storage - Intelligent-Tiering",
  INTELLIGENT_TIERING_AIA: "S3: Storage - Intelligent-Tiering",
  INTELLIGENT_TIERING_AA: "S3: Storage - Intelligent-Tiering",
  INTELLIGENT_TIERING_DAA: "S3: Storage - Intelligent-Tiering",
  GLACIER_IR: "S3: Storage - Glacier Instant Retrieval",
  GLACIER: "S3: Storage - Glacier",
  DEEP_ARCHIVE: "S3: Storage - Glacier Deep Archive",
};

/** A bucket's tags, which Cost Explorer groups and filters its costs by. */
export function bucketCostTags(cloud: Cloud, bucket: string): Record<string, string> | undefined {
  const tags = new BucketConfigs(cloud).get<Tag[]>("tagging", bucket);
  if (!tags?.length) return undefined;
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}

/** Charges a bucket's measured bytes per storage class for the day that ended at `end`. */
export function chargeStorage(cloud: Cloud, bucket: BucketRecord, bytesByClass: Map<string, number>, end: number, tags: Record<string, string> | undefined): void {
  const scope = { account: bucket.account, region: bucket.region };
  const prefix = usagePrefix(bucket.region);
  const created = bucket.created.getTime();
  const ledger = usageLedger(cloud);
  for (let hour = end - 24 * HOUR_MS; hour < end; hour += HOUR_MS) {
    const from = Math.max(hour, created);
    if (from >= hour + HOUR_MS) continue;
    const items: UsageItem[] = [];
    for (const [storageClass, bytes] of bytesByClass) {
      if (bytes <= 0) continue;
      const known = storageClass in STORAGE_TYPE ? storageClass : "STANDARD";
      const months = (hour + HOUR_MS - from) / HOUR_MS / hoursInMonth(hour);
      const quantity = (bytes / GIB) * months;
      items.push({
        service: S3_SERVICE,
        usageType: `${prefix}${s3StorageUsage(storageClass)}`,
        operation: STORAGE_TYPE[known],
        unit: "GB-Mo",
        resource: bucket.name,
        quantity,
        cost: quantity * s3StorageRate(storageClass, bucket.region),
        usageGroup: USAGE_GROUP[known],
        tags,
      });
    }
    ledger.record(scope, from, items);
  }
}
