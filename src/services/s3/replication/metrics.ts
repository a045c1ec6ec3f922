/**
 * Replication metrics (AWS/S3, per source bucket, destination bucket and
 * rule) for rules with Metrics enabled: BytesPendingReplication,
 * OperationsPendingReplication, ReplicationLatency and
 * OperationsFailedReplication, measured from the queue as it works.
 */
import type { Cloud } from "../../../cloud.js";
import type { BucketRecord } from "../hooks.js";
import { publishS3 } from "../metrics/sink.js";
import type { Target } from "./replicator.js";

interface Pending {
  bytes: number;
  operations: number;
}

export class ReplicationMetrics {
  private readonly pendingBy = new Map<string, Pending>();

  constructor(private readonly cloud: Cloud) {}

  private id(source: BucketRecord, t: Target): string {
    return JSON.stringify([source.name, t.bucket, t.ruleId]);
  }

  private dimensions(source: BucketRecord, t: Target) {
    return [
      { Name: "SourceBucket", Value: source.name },
      { Name: "DestinationBucket", Value: t.bucket },
      { Name: "RuleId", Value: t.ruleId },
    ];
  }

  pending(source: BucketRecord, t: Target, bytes: number): void {
    if (!t.metrics) return;
    const p = this.pendingBy.get(this.id(source, t)) ?? { bytes: 0, operations: 0 };
    p.bytes += bytes;
    p.operations += 1;
    this.pendingBy.set(this.id(source, t), p);
    this.publishPending(source, t, p);
  }

  done(source: BucketRecord, t: Target, bytes: number, ok: boolean, latencyMs: number): void {
    if (!t.metrics) return;
    const p = this.pendingBy.get(this.id(source, t)) ?? { bytes: 0, operations: 0 };
    p.bytes = Math.max(0, p.bytes - bytes);
    p.operations = Math.max(0, p.operations - 1);
    this.pendingBy.set(this.id(source, t), p);
    const timestamp = this.cloud.clock.date();
    const dimensions = this.dimensions(source, t);
    const data = [
      { namespace: "AWS/S3", metricName: "BytesPendingReplication", dimensions, timestamp, value: p.bytes, unit: "Bytes" },
      { namespace: "AWS/S3", metricName: "OperationsPendingReplication", dimensions, timestamp, value: p.operations, unit: "Count" },
    ];
    if (ok) data.push({ namespace: "AWS/S3", metricName: "ReplicationLatency", dimensions, timestamp, value: Math.max(0, latencyMs / 1000), unit: "Seconds" });
    else data.push({ namespace: "AWS/S3", metricName: "OperationsFailedReplication", dimensions, timestamp, value: 1, unit: "Count" });
    publishS3(this.cloud, { account: source.account, region: source.region }, data);
  }

  private publishPending(source: BucketRecord, t: Target, p: Pending): void {
    const timestamp = this.cloud.clock.date();
    const dimensions = this.dimensions(source, t);
    publishS3(this.cloud, { account: source.account, region: source.region }, [
      { namespace: "AWS/S3", metricName: "BytesPendingReplication", dimensions, timestamp, value: p.bytes, unit: "Bytes" },
      { namespace: "AWS/S3", metricName: "OperationsPendingReplication", dimensions, timestamp, value: p.operations, unit: "Count" },
    ]);
  }

  reset(): void {
    this.pendingBy.clear();
  }
}
