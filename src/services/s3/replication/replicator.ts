/**
 * The replication queue: a version written to a bucket with a matching rule
 * is marked PENDING and a persisted job is queued in the same transaction;
 * the job copies the version (bytes, version id, metadata, tags, storage
 * class or the rule's) to each destination bucket, in whatever region it
 * lives, marked REPLICA, and sets the source to COMPLETED or FAILED. It acts
 * as the configuration's role: without s3:GetObjectVersionForReplication on
 * the source and s3:ReplicateObject (s3:ReplicateDelete for markers) on the
 * destination in the role's policies, the copy FAILS, as on S3. Delete
 * markers follow when the rule says so. A job re-arms itself before working,
 * so a crash mid-copy retries after a restart.
 */
import { IamStore } from "../../iam/store.js";
import { serviceMayAssume } from "../../iam/trust.js";
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import { isAwsError } from "../../../core/errors.js";
import { globalContext, identityDecision } from "../../iam/enforce.js";
import type { ReplicationConfiguration, ReplicationRule } from "../../../generated/s3.js";
import type { ObjectEngine } from "../engine.js";
import type { BucketRecord, EncryptionRecord, ReplicationStatus, SseRequest } from "../hooks.js";
import type { S3Provider } from "../provider.js";
import type { S3Store, StoredVersion } from "../store.js";
import { bucketFromArn, deleteMarkerRulesFor, rulesFor } from "./config.js";
import type { ReplicationMetrics } from "./metrics.js";

export const REPLICATE_JOB = "s3.replicate";
const RETRY_MS = 60_000;
/** A copy interrupted this many times (crashes mid-copy) is given up as FAILED. */
const MAX_ATTEMPTS = 5;

export interface Target {
  /** Destination bucket name. */
  bucket: string;
  ruleId: string;
  storageClass?: string;
  replicaKmsKeyId?: string;
  /** Change replica ownership to the destination bucket's owner. */
  ownerOverride: boolean;
  metrics: boolean;
}

export interface ReplicateJob {
  bucket: string;
  key: string;
  versionId: string;
  deleteMarker: boolean;
  targets: Target[];
  /** When the source version was written (for latency). */
  queuedAt: number;
  attempt: number;
}

function target(rule: ReplicationRule): Target {
  return {
    bucket: bucketFromArn(rule.Destination.Bucket)!,
    ruleId: rule.ID ?? "",
    storageClass: rule.Destination.StorageClass,
    replicaKmsKeyId: rule.Destination.EncryptionConfiguration?.ReplicaKmsKeyID,
    ownerOverride: rule.Destination.AccessControlTranslation?.Owner === "Destination",
    metrics: rule.Destination.Metrics?.Status === "Enabled",
  };
}

export class Replicator {
  constructor(
    private readonly s3: S3Provider,
    private readonly config: (bucket: string) => ReplicationConfiguration | undefined,
    private readonly metrics: ReplicationMetrics,
  ) {}

  private get cloud(): Cloud {
    return this.s3.cloud;
  }
  private get store(): S3Store {
    return this.s3.store;
  }
  private get engine(): ObjectEngine {
    return this.s3.engine;
  }

  jobKey(bucket: string, key: string, versionId: string): string {
    return `${REPLICATE_JOB}:${JSON.stringify([bucket, key, versionId])}`;
  }

  /** Inside the write's transaction: mark the version PENDING and queue its copy. */
  versionWritten(bucket: BucketRecord, key: string, versionId: string, replicationStatus: ReplicationStatus | undefined, tags: Array<{ Key: string; Value: string }>, encryption: EncryptionRecord | undefined, size: number): void {
    if (replicationStatus === "REPLICA") return;
    const config = this.config(bucket.name);
    if (!config) return;
    let rules = rulesFor(config, { key, tags });
    // SSE-KMS objects replicate only when the rule opts in; SSE-C objects are not replicated.
    if (encryption?.SSECustomerAlgorithm) return;
    if (encryption?.kmsBlob) rules = rules.filter((r) => r.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status === "Enabled");
    if (rules.length === 0) return;
    const stored = this.store.version(bucket.name, key, versionId);
    if (!stored) return;
    stored.replicationStatus = "PENDING";
    this.store.updateVersion(stored);
    this.enqueue(bucket, { bucket: bucket.name, key, versionId, deleteMarker: false, targets: rules.map(target), queuedAt: this.cloud.clock.now(), attempt: 0 });
    for (const rule of rules) this.metrics.pending(bucket, target(rule), size);
  }

  /** Inside the delete's transaction: queue the marker's copy when a rule replicates delete markers. */
  deleteMarkerCreated(bucket: BucketRecord, key: string, versionId: string): void {
    const config = this.config(bucket.name);
    if (!config) return;
    const rules = deleteMarkerRulesFor(config, key);
    if (rules.length === 0) return;
    this.enqueue(bucket, { bucket: bucket.name, key, versionId, deleteMarker: true, targets: rules.map(target), queuedAt: this.cloud.clock.now(), attempt: 0 });
  }

  private enqueue(bucket: BucketRecord, job: ReplicateJob, due = this.cloud.clock.now()): void {
    this.cloud.scheduler.schedule({ kind: REPLICATE_JOB, key: this.jobKey(job.bucket, job.key, job.versionId), due, account: bucket.account, region: bucket.region, payload: job });
  }

  async run(job: Job<ReplicateJob>): Promise<void> {
    const p = job.payload;
    const source = this.store.bucket(p.bucket);
    const version = this.store.version(p.bucket, p.key, p.versionId);
    if (!source || !version) return;
    if (p.attempt >= MAX_ATTEMPTS) {
      if (!p.deleteMarker) this.engine.updateVersion(version, (v) => void (v.replicationStatus = "FAILED"));
      return;
    }
    // Re-armed before the work: if Stratus dies mid-copy, the copy is tried again after the restart.
    this.enqueue(source, { ...p, attempt: p.attempt + 1 }, this.cloud.clock.now() + RETRY_MS);
    let failed = false;
    const role = this.config(p.bucket)?.Role;
    for (const t of p.targets) {
      const permitted = this.roleMay(role, source, version, t, p.deleteMarker);
      const ok = permitted && (p.deleteMarker ? this.copyMarker(version, t) : await this.copyVersion(source, version, t));
      failed ||= !ok;
      if (!p.deleteMarker) this.metrics.done(source, t, version.size, ok, this.cloud.clock.now() - p.queuedAt);
    }
    this.cloud.scheduler.cancel(this.jobKey(p.bucket, p.key, p.versionId));
    if (!p.deleteMarker) {
      const fresh = this.store.version(p.bucket, p.key, p.versionId);
      if (fresh) this.engine.updateVersion(fresh, (v) => void (v.replicationStatus = failed ? "FAILED" : "COMPLETED"));
    }
  }

  /**
   * S3 replicates as the configuration's role: its identity policies must let it read the
   * source version for replication and write the replica (or the delete marker).
   */
  private roleMay(role: string | undefined, source: BucketRecord, version: StoredVersion, t: Target, deleteMarker: boolean): boolean {
    const match = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(role ?? "");
    if (!match) return false;
    // S3 can act as the role only if the role trusts s3.amazonaws.com.
    const record = new IamStore(this.cloud).findRole(match[1], role!);
    if (!record || !serviceMayAssume(this.cloud, record, "s3.amazonaws.com", { account: source.account, region: source.region })) return false;
    const principalArn = `arn:aws:sts::${match[1]}:assumed-role/${match[2]}/s3-replication`;
    const context = globalContext(this.cloud, { principalArn, account: match[1], region: source.region, sourceIp: "", secure: true });
    const may = (action: string, resource: string) => identityDecision(this.cloud, { principalArn, action, resource, context }) === "Allow";
    const read = deleteMarker || may("s3:GetObjectVersionForReplication", `arn:aws:s3:::${source.name}/${version.key}`);
    return read && may(deleteMarker ? "s3:ReplicateDelete" : "s3:ReplicateObject", `arn:aws:s3:::${t.bucket}/${version.key}`);
  }

  private destination(t: Target): BucketRecord | undefined {
    const bucket = this.store.bucket(t.bucket);
    return bucket && bucket.versioning === "Enabled" ? bucket : undefined;
  }

  private copyMarker(version: StoredVersion, t: Target): boolean {
    const bucket = this.destination(t);
    if (!bucket) return false;
    if (this.store.version(bucket.name, version.key, version.versionId)) return true;
    this.engine.transaction(() => {
      this.engine.insertDeleteMarker(bucket, version.key, version.versionId, version.owner, version.lastModified);
    });
    return true;
  }

  private async copyVersion(source: BucketRecord, version: StoredVersion, t: Target): Promise<boolean> {
    const bucket = this.destination(t);
    if (!bucket) return false;
    const existing = this.store.version(bucket.name, version.key, version.versionId);
    if (existing) return true;
    try {
      const codec = version.encryption ? await this.s3.hooks.encryption.open({ bucket: source, key: version.key, record: version.encryption, sse: {}, purpose: "read", operation: "Replication" }) : undefined;
      const sse: SseRequest = t.replicaKmsKeyId ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: t.replicaKmsKeyId } : {};
      const sealed = await this.s3.hooks.encryption.seal({ bucket, key: version.key, sse, operation: "Replication" });
      // Opened only now that nothing can fail before it is read: an open read holds its file (and byte-thread slots).
      const body = this.engine.read(version, undefined, codec);
      const { pending, facts } = await this.engine.ingest(body, { length: version.size, maxSize: Number.MAX_SAFE_INTEGER }, sealed?.codec, 0);
      this.engine.publish(
        bucket.name,
        version.key,
        {
          owner: t.ownerOverride ? bucket.account : version.owner,
          storageClass: t.storageClass ?? version.storageClass,
          contentType: version.contentType,
          contentEncoding: version.contentEncoding,
          contentDisposition: version.contentDisposition,
          contentLanguage: version.contentLanguage,
          cacheControl: version.cacheControl,
          expires: version.expires,
          websiteRedirectLocation: version.websiteRedirectLocation,
          metadata: version.metadata,
          tags: version.tags,
          encryption: sealed?.record,
          replicationStatus: "REPLICA",
          versionId: version.versionId,
          lastModified: version.lastModified,
        },
        { segments: [{ pending, size: facts.size, segment: 0 }], size: facts.size, etag: version.etag, checksum: version.checksum, partsCount: version.partsCount },
        { cause: "Replication" },
      );
      return true;
    } catch (error) {
      if (!isAwsError(error)) this.cloud.log.error(`s3 replication of ${source.name}/${version.key} to ${t.bucket} failed`, error);
      return false;
    }
  }
}
