/**
 * S3 requests and data transfer for Cost Explorer: every answered request to
 * a bucket is counted against the bucket's owner by tier (PUT, COPY, POST and
 * LIST are tier 1; DELETE and aborts are free; everything else is tier 2), and
 * the bytes GetObject sends are data transferred out to the internet. Counts
 * are kept in memory and written to the usage ledger in batches, whenever Cost
 * Explorer reads it, and at shutdown. Storage is charged daily (storage.ts).
 */
import { HOUR_MS, usageLedger, type UsageItem } from "../../ce/ledger.js";
import { usagePrefix } from "../../pricing/catalog.js";
import { dataTransferOutRate, s3RequestRate } from "../../pricing/rates.js";
import type { CompletedRequest } from "../../types.js";
import { S3Base } from "../base.js";
import { requestAddress } from "../protocol.js";
import type { S3Provider } from "../provider.js";
import { bucketCostTags, S3_SERVICE } from "./storage.js";

const GIB = 1024 ** 3;
const FLUSH_EVERY = 500;

/** The name S3's bill gives an operation, where it differs from the API's. */
const BILLED_AS: Record<string, string> = { ListObjects: "ListBucket", ListObjectsV2: "ListBucket", ListObjectVersions: "ListBucketVersions" };

export function requestTier(operation: string): "Tier1" | "Tier2" | undefined {
  if (/^(Delete|Abort)/.test(operation)) return undefined;
  if (/^(Put|Copy|List|Create|Complete|Upload|Restore|Post)/.test(operation)) return "Tier1";
  return "Tier2";
}

interface Pending {
  scope: { account: string; region: string };
  hour: number;
  item: UsageItem;
}

export class BillingModule extends S3Base {
  private readonly pending = new Map<string, Pending>();
  private counted = 0;

  constructor(s3: S3Provider) {
    super(s3);
    usageLedger(this.cloud).onFlush(() => this.flush());
  }

  onRequestCompleted(record: CompletedRequest): void {
    const operation = record.operation;
    if (!operation) return;
    const name = requestAddress(record).bucket;
    if (!name) return;
    const bucket = this.store.bucket(name);
    if (!bucket) return;
    const scope = { account: bucket.account, region: bucket.region };
    // Billed in the hour the request arrived (its answer may finish after a jump of the clock).
    const hour = Math.floor(record.receivedAt / HOUR_MS) * HOUR_MS;
    const prefix = usagePrefix(bucket.region);
    const billedAs = BILLED_AS[operation] ?? operation;
    const tier = requestTier(operation);
    if (tier) {
      this.add(scope, hour, {
        service: S3_SERVICE,
        usageType: `${prefix}Requests-${tier}`,
        operation: billedAs,
        unit: "Requests",
        resource: bucket.name,
        quantity: 1,
        cost: s3RequestRate(tier, bucket.region),
        usageGroup: "S3: API Requests - Standard",
      });
    }
    if (operation === "GetObject" && (record.status === 200 || record.status === 206) && record.bytesSent) {
      const gb = record.bytesSent / GIB;
      this.add(scope, hour, {
        service: S3_SERVICE,
        usageType: `${prefix}DataTransfer-Out-Bytes`,
        operation: billedAs,
        unit: "GB",
        resource: bucket.name,
        quantity: gb,
        cost: gb * dataTransferOutRate(bucket.region),
        usageGroup: "S3: Data Transfer - Internet (Out)",
      });
    }
    if (++this.counted >= FLUSH_EVERY) this.flush();
  }

  private add(scope: Pending["scope"], hour: number, item: UsageItem): void {
    const key = `${item.resource}\u0000${hour}\u0000${item.usageType}\u0000${item.operation}`;
    const entry = this.pending.get(key);
    if (entry) {
      entry.item.quantity += item.quantity;
      entry.item.cost += item.cost;
    } else {
      this.pending.set(key, { scope, hour, item });
    }
  }

  /** Writes the counts held in memory to the ledger. */
  flush(): void {
    this.counted = 0;
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending.clear();
    const ledger = usageLedger(this.cloud);
    const tags = new Map<string, Record<string, string> | undefined>();
    this.cloud.db.transaction(() => {
      for (const { scope, hour, item } of entries) {
        if (!tags.has(item.resource)) tags.set(item.resource, bucketCostTags(this.cloud, item.resource));
        ledger.record(scope, hour, [{ ...item, tags: tags.get(item.resource) }]);
      }
    });
  }

  onStop(): void {
    this.flush();
  }

  onReset(): void {
    this.pending.clear();
    this.counted = 0;
  }
}
