/**
 * AWS/S3 daily storage metrics, as S3 reports them once a day: for every
 * bucket, BucketSizeBytes per storage type and NumberOfObjects (all
 * versions and delete markers, plus the parts of incomplete uploads),
 * measured from the store at midnight UTC and published to CloudWatch. The
 * same measurement is the storage Cost Explorer charges (billing/storage.ts).
 */
import type { Job } from "../../../clock/scheduler.js";
import { S3Base } from "../base.js";
import { bucketCostTags, chargeStorage } from "../billing/storage.js";
import { nextMidnight } from "../lifecycle/evaluate.js";
import type { S3Provider } from "../provider.js";
import { intelligentTieringBytes } from "../intelligent-tiering/measure.js";
import { publishS3, STORAGE_TYPE } from "./sink.js";

export const DAILY_JOB = "s3.metrics.daily";

interface Usage {
  bucket: string;
  storage_class: string;
  bytes: number;
  objects: number;
}

export class StorageMetricsModule extends S3Base {
  constructor(s3: S3Provider) {
    super(s3);
    // The daily job exists only while there are buckets to measure: an idle Stratus schedules nothing.
    s3.hooks.events.push({ bucketCreated: () => this.arm() });
  }

  onStart(): void {
    this.cloud.scheduler.on<null>(DAILY_JOB, (job) => this.run(job));
    this.arm();
  }

  private arm(): void {
    if (this.cloud.scheduler.get(DAILY_JOB) || this.store.allBuckets().length === 0) return;
    this.cloud.scheduler.schedule({ kind: DAILY_JOB, key: DAILY_JOB, due: nextMidnight(this.cloud.clock.now()), payload: null });
  }

  private run(_job: Job<null>): void {
    this.publishAll();
    this.arm();
  }

  /** Measures every bucket now and publishes the datapoints. */
  publishAll(): void {
    const timestamp = this.cloud.clock.date();
    // One aggregate over the version table: the cost is one scan a day, not one per bucket.
    const usage = this.store.sql
      .prepare("SELECT bucket, storage_class, SUM(size) AS bytes, COUNT(*) AS objects FROM s3_versions GROUP BY bucket, storage_class")
      .all() as Usage[];
    const parts = this.store.sql
      .prepare("SELECT u.bucket AS bucket, COUNT(p.part_number) AS parts FROM s3_uploads u JOIN s3_parts p ON p.upload_id = u.upload_id GROUP BY u.bucket")
      .all() as Array<{ bucket: string; parts: number }>;
    // Intelligent-Tiering's bytes count per access tier.
    const tiered = intelligentTieringBytes(this.store.sql, timestamp.getTime());
    for (const bucket of this.store.allBuckets()) {
      const all = usage.filter((u) => u.bucket === bucket.name);
      const byClass = new Map(all.filter((r) => r.storage_class !== "INTELLIGENT_TIERING").map((r) => [r.storage_class, r.bytes]));
      for (const [tier, bytes] of tiered.get(bucket.name) ?? []) byClass.set(tier, bytes);
      const objects = all.reduce((n, r) => n + r.objects, 0) + (parts.find((p) => p.bucket === bucket.name)?.parts ?? 0);
      const data = [
        {
          namespace: "AWS/S3",
          metricName: "NumberOfObjects",
          dimensions: [{ Name: "BucketName", Value: bucket.name }, { Name: "StorageType", Value: "AllStorageTypes" }],
          timestamp,
          value: objects,
          unit: "Count",
        },
      ];
      const bytes = new Map<string, number>();
      for (const [storageClass, value] of byClass) {
        const type = STORAGE_TYPE[storageClass] ?? "StandardStorage";
        bytes.set(type, (bytes.get(type) ?? 0) + value);
      }
      chargeStorage(this.cloud, bucket, byClass, timestamp.getTime(), bucketCostTags(this.cloud, bucket.name));
      if (bytes.size === 0) bytes.set("StandardStorage", 0);
      for (const [type, value] of bytes) {
        data.push({
          namespace: "AWS/S3",
          metricName: "BucketSizeBytes",
          dimensions: [{ Name: "BucketName", Value: bucket.name }, { Name: "StorageType", Value: type }],
          timestamp,
          value,
          unit: "Bytes",
        });
      }
      publishS3(this.cloud, { account: bucket.account, region: bucket.region }, data);
    }
  }
}
