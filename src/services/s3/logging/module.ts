/**
 * Server access logging: Put/GetBucketLogging with S3's checks on the target
 * bucket, and delivery for real — every answered request to a logged bucket
 * becomes a record in AWS's log format, and records are batched per source
 * bucket and written, a few minutes later on the Stratus clock (a persisted
 * scheduler job), as an object under the TargetPrefix in the target bucket.
 */
import { AwsError } from "../../../core/errors.js";
import { crypto } from "../../../core/crypto.js";
import type { Job } from "../../../clock/scheduler.js";
import type { GetBucketLoggingOutput, GetBucketLoggingRequest, LoggingEnabled, PutBucketLoggingRequest, S3Operations } from "../../../generated/s3.js";
import type { CallContext, CompletedRequest } from "../../types.js";
import { S3Base } from "../base.js";
import { MAX_PUT_SIZE } from "../engine.js";
import { S3Errors } from "../errors.js";
import { BucketConfigs } from "../ext/configs.js";
import type { StoredLockConfig } from "../object-lock/state.js";
import { LOG_DELIVERY, type StoredAcl } from "../access/acl.js";
import { evaluatePolicy, parseBucketPolicy } from "../access/policy.js";
import { requestAddress } from "../protocol.js";
import type { S3Provider } from "../provider.js";
import { quoteEtag } from "../validation.js";
import { formatRecord } from "./format.js";

type Implemented = Pick<S3Operations, "PutBucketLogging" | "GetBucketLogging">;

export const DELIVER_JOB = "s3.logging.deliver";
/** How long records wait to be batched into one log object (AWS: usually within a few hours). */
export const DELIVERY_DELAY_MS = 5 * 60_000;
/** Records per log object at most. */
const MAX_BATCH = 10_000;

interface Pending {
  target: string;
  prefix: string;
  partitioned?: "EventTime" | "DeliveryTime";
  sourceAccount: string;
  sourceRegion: string;
  lines: string[];
  firstAt: number;
}

const invalidTarget = (message: string, target: string) => new AwsError("InvalidTargetBucketForLogging", message, { status: 400, fields: { TargetBucket: target } });
const pad = (n: number) => String(n).padStart(2, "0");

function stamp(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}-${pad(date.getUTCHours())}-${pad(date.getUTCMinutes())}-${pad(date.getUTCSeconds())}`;
}

export class LoggingModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;
  /** Records waiting for delivery, per source bucket (best effort, as on AWS: a crash loses them). */
  private readonly pending = new Map<string, Pending>();

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.events.push({ bucketDeleted: (bucket) => this.configs.delete("logging", bucket.name) });
  }

  onStart(): void {
    this.cloud.scheduler.on(DELIVER_JOB, (job: Job<{ bucket: string }>) => this.deliver(job.payload.bucket));
  }

  onReset(): void {
    this.pending.clear();
  }

  async onStop(): Promise<void> {
    for (const bucket of [...this.pending.keys()]) await this.deliver(bucket);
  }

  async PutBucketLogging(input: PutBucketLoggingRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const status = input.BucketLoggingStatus;
    if (!status) throw S3Errors.malformedXml();
    const enabled = status.LoggingEnabled;
    if (!enabled) {
      this.configs.delete("logging", bucket.name);
      return;
    }
    if (typeof enabled.TargetBucket !== "string" || typeof enabled.TargetPrefix !== "string") throw S3Errors.malformedXml();
    const target = this.store.bucket(enabled.TargetBucket);
    if (!target) throw invalidTarget("The target bucket for logging does not exist", enabled.TargetBucket);
    if (target.account !== bucket.account) throw invalidTarget("The owner for the bucket to be logged and the target bucket must be the same.", target.name);
    if (target.region !== bucket.region) {
      throw new AwsError("CrossLocationLoggingProhibitted", "Cross S3 location logging not allowed. ", {
        status: 403,
        fields: { SourceBucketLocation: bucket.region, TargetBucketLocation: target.region },
      });
    }
    if (this.configs.get<StoredLockConfig>("object-lock", target.name)?.rule) {
      throw invalidTarget("The target bucket for logging must not have a default Object Lock retention period.", target.name);
    }
    const ownership = this.ownership(target.name);
    if (enabled.TargetGrants?.length && ownership === "BucketOwnerEnforced") {
      throw invalidTarget("Target grants are not supported for a target bucket that uses the bucket owner enforced setting for Object Ownership.", target.name);
    }
    for (const grant of enabled.TargetGrants ?? []) {
      const permission = grant.Permission as string | undefined;
      if (permission !== undefined && !["FULL_CONTROL", "READ", "WRITE"].includes(permission)) throw S3Errors.malformedXml();
    }
    const format = enabled.TargetObjectKeyFormat;
    if (format?.PartitionedPrefix && format.SimplePrefix) throw S3Errors.malformedXml();
    const source = format?.PartitionedPrefix?.PartitionDateSource as string | undefined;
    if (source !== undefined && source !== "EventTime" && source !== "DeliveryTime") throw S3Errors.malformedXml();
    const stored: LoggingEnabled = { TargetBucket: target.name, TargetPrefix: enabled.TargetPrefix };
    if (enabled.TargetGrants?.length) stored.TargetGrants = enabled.TargetGrants;
    if (format?.PartitionedPrefix) stored.TargetObjectKeyFormat = { PartitionedPrefix: { PartitionDateSource: (source ?? "EventTime") as "EventTime" } };
    else if (format?.SimplePrefix) stored.TargetObjectKeyFormat = { SimplePrefix: {} };
    this.configs.put("logging", bucket.name, stored);
  }

  async GetBucketLogging(input: GetBucketLoggingRequest, ctx: CallContext): Promise<GetBucketLoggingOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const enabled = this.configs.get<LoggingEnabled>("logging", bucket.name);
    return enabled ? { LoggingEnabled: enabled } : {};
  }

  /** Every answered request to a logged bucket becomes a record. */
  onRequestCompleted(record: CompletedRequest): void {
    const address = requestAddress(record);
    const name = address.bucket;
    if (!name) return;
    const config = this.configs.get<LoggingEnabled>("logging", name);
    if (!config) return;
    const bucket = this.store.bucket(name);
    if (!bucket) return;
    const key = address.key;
    const now = this.cloud.clock.now();
    const line = formatRecord(record, { bucketOwner: bucket.account, bucket: name, key, time: new Date(now) });
    let batch = this.pending.get(name);
    if (!batch || batch.target !== config.TargetBucket || batch.prefix !== config.TargetPrefix) {
      if (batch) void this.deliver(name);
      batch = {
        target: config.TargetBucket,
        prefix: config.TargetPrefix,
        partitioned: config.TargetObjectKeyFormat?.PartitionedPrefix ? ((config.TargetObjectKeyFormat.PartitionedPrefix.PartitionDateSource as "EventTime") ?? "EventTime") : undefined,
        sourceAccount: bucket.account,
        sourceRegion: bucket.region,
        lines: [],
        firstAt: now,
      };
      this.pending.set(name, batch);
      this.cloud.scheduler.schedule({ kind: DELIVER_JOB, key: `${DELIVER_JOB}:${name}`, due: now + DELIVERY_DELAY_MS, account: bucket.account, region: bucket.region, payload: { bucket: name } });
    }
    batch.lines.push(line);
    // A busy bucket does not hold its records in memory for long: a full batch goes at once.
    if (batch.lines.length >= MAX_BATCH) void this.deliver(name);
  }

  /** A bucket's Object Ownership (BucketOwnerEnforced by default; none after DeleteBucketOwnershipControls). */
  private ownership(bucket: string): string | undefined {
    const doc = this.configs.get<{ rule?: string }>("ownership", bucket);
    return doc ? doc.rule : "BucketOwnerEnforced";
  }

  /**
   * Whether the logging service may write `key` into the target bucket: a bucket policy
   * allowing the service principal logging.s3.amazonaws.com s3:PutObject (conditions see
   * aws:SourceAccount and aws:SourceArn), or, with ACLs enabled, a WRITE grant to the
   * Log Delivery group. An explicit Deny wins.
   */
  private deliveryAllowed(target: string, source: string, sourceAccount: string, key: string): boolean {
    const policy = this.configs.get<{ text: string }>("policy", target);
    if (policy) {
      let decision: string = "Neutral";
      try {
        decision = evaluatePolicy(parseBucketPolicy(policy.text, target), {
          requester: { anonymous: false, account: "", arn: "", service: "logging.s3.amazonaws.com" },
          action: "s3:PutObject",
          resource: `arn:aws:s3:::${target}/${key}`,
          context: { "aws:sourceaccount": sourceAccount, "aws:sourcearn": `arn:aws:s3:::${source}` },
        });
      } catch {
        decision = "Neutral";
      }
      if (decision === "Deny") return false;
      if (decision === "Allow") return true;
    }
    const ownership = this.ownership(target);
    if (ownership === "BucketOwnerEnforced") return false;
    const acl = this.configs.get<StoredAcl>("bucket-acl", target);
    return (acl?.grants ?? []).some(
      (g) => (g.Grantee as { URI?: string } | undefined)?.URI === LOG_DELIVERY && (g.Permission === "WRITE" || g.Permission === "FULL_CONTROL"),
    );
  }

  /** Writes a source bucket's waiting records as one log object in its target bucket. */
  private async deliver(source: string): Promise<void> {
    const batch = this.pending.get(source);
    if (!batch) return;
    this.pending.delete(source);
    this.cloud.scheduler.cancel(`${DELIVER_JOB}:${source}`);
    const target = this.store.bucket(batch.target);
    if (!target || batch.lines.length === 0) return;
    const now = this.cloud.clock.now();
    const unique = crypto().randomBytes(8).toString("hex").toUpperCase();
    let key: string;
    if (batch.partitioned) {
      const date = new Date(batch.partitioned === "EventTime" ? batch.firstAt : now);
      key = `${batch.prefix}${batch.sourceAccount}/${batch.sourceRegion}/${source}/${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}/${stamp(new Date(now))}-${unique}`;
    } else {
      key = `${batch.prefix}${stamp(new Date(now))}-${unique}`;
    }
    if (!this.deliveryAllowed(target.name, source, batch.sourceAccount, key)) {
      this.cloud.log.debug(`s3: server access logs of ${source} not delivered: ${target.name} does not let logging.s3.amazonaws.com write ${key}`);
      return;
    }
    const body = Buffer.from(batch.lines.join("\n") + "\n");
    try {
      const sealed = await this.hooks.encryption.seal({ bucket: target, key, sse: {}, operation: "Logging" });
      const { pending, facts } = await this.engine.ingest(body, { length: body.length, maxSize: MAX_PUT_SIZE }, sealed?.codec, 0);
      this.engine.publish(
        target.name,
        key,
        { owner: target.account, storageClass: "STANDARD", contentType: "text/plain", metadata: {}, tags: [], encryption: sealed?.record },
        { segments: [{ pending, size: facts.size, segment: 0 }], size: facts.size, etag: quoteEtag(facts.md5Hex) },
        { cause: "Logging" },
      );
    } catch (error) {
      // Best effort, as on AWS: a log object that cannot be written is dropped.
      this.cloud.log.error(`s3: server access log delivery from ${source} to ${batch.target} failed: ${(error as Error).message}`);
    }
  }
}
