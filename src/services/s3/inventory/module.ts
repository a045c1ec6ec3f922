/**
 * S3 Inventory: Put/Get/Delete/ListBucketInventoryConfiguration with S3's
 * checks, and reports delivered for real — at midnight UTC on the Stratus
 * clock (Daily, or Weekly on Sundays) a gzipped CSV listing of the bucket
 * (current versions or all, filtered by prefix, with the optional fields asked
 * for) is written to the destination bucket with its manifest.json,
 * manifest.checksum and Hive symlink.txt, as AWS lays them out.
 */
import { INTELLIGENT_TIERING, accessTier } from "../intelligent-tiering/tiers.js";
import { gzipSync } from "node:zlib";
import { AwsError } from "../../../core/errors.js";
import { crypto } from "../../../core/crypto.js";
import type { Job } from "../../../clock/scheduler.js";
import type {
  DeleteBucketInventoryConfigurationRequest,
  GetBucketInventoryConfigurationOutput,
  GetBucketInventoryConfigurationRequest,
  InventoryConfiguration,
  ListBucketInventoryConfigurationsOutput,
  ListBucketInventoryConfigurationsRequest,
  PutBucketInventoryConfigurationRequest,
  S3Operations,
} from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { evaluatePolicy, parseBucketPolicy } from "../access/policy.js";
import { S3Base } from "../base.js";
import { MAX_PUT_SIZE } from "../engine.js";
import { S3Errors } from "../errors.js";
import { BucketConfigs } from "../ext/configs.js";
import type { BucketRecord } from "../hooks.js";
import { nextMidnight } from "../lifecycle/evaluate.js";
import { lockOf } from "../object-lock/state.js";
import type { S3Provider } from "../provider.js";
import type { StoredVersion } from "../store.js";
import { quoteEtag } from "../validation.js";

type Implemented = Pick<
  S3Operations,
  "PutBucketInventoryConfiguration" | "GetBucketInventoryConfiguration" | "DeleteBucketInventoryConfiguration" | "ListBucketInventoryConfigurations"
>;

export const REPORT_JOB = "s3.inventory.report";
const ID = /^[A-Za-z0-9._-]{1,64}$/;
const DESTINATION = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;

/** Optional fields in the order S3 writes them. */
const FIELDS = [
  "Size",
  "LastModifiedDate",
  "ETag",
  "StorageClass",
  "IsMultipartUploaded",
  "ReplicationStatus",
  "EncryptionStatus",
  "ObjectLockRetainUntilDate",
  "ObjectLockMode",
  "ObjectLockLegalHoldStatus",
  "IntelligentTieringAccessTier",
  "BucketKeyStatus",
  "ChecksumAlgorithm",
  "ObjectAccessControlList",
  "ObjectOwner",
  "LifecycleExpirationDate",
] as const;

const pad = (n: number) => String(n).padStart(2, "0");
const noSuchConfiguration = () => new AwsError("NoSuchConfiguration", "The specified configuration does not exist.", { status: 404 });

function checkInventory(input: PutBucketInventoryConfigurationRequest): InventoryConfiguration {
  const config = input.InventoryConfiguration;
  if (!config || typeof config.Id !== "string") throw S3Errors.malformedXml();
  if (config.Id !== input.Id) throw S3Errors.invalidArgument("Configuration id in the request and body must match", "id", input.Id);
  if (!ID.test(config.Id)) throw S3Errors.invalidArgument("Invalid Id", "id", config.Id);
  const destination = config.Destination?.S3BucketDestination;
  if (!destination || typeof config.IsEnabled !== "boolean") throw S3Errors.malformedXml();
  if (!DESTINATION.test(destination.Bucket ?? "")) throw S3Errors.invalidArgument("Invalid bucket ARN.", "Bucket", destination.Bucket);
  if (!["CSV", "ORC", "Parquet"].includes(destination.Format as string)) throw S3Errors.malformedXml();
  if (destination.Format !== "CSV") {
    throw new AwsError("NotImplemented", `Stratus writes inventory reports as CSV only; ${destination.Format} is not implemented.`, { status: 501 });
  }
  if (!["Daily", "Weekly"].includes(config.Schedule?.Frequency as string)) throw S3Errors.malformedXml();
  if (!["All", "Current"].includes(config.IncludedObjectVersions as string)) throw S3Errors.malformedXml();
  for (const field of config.OptionalFields ?? []) {
    if (!(FIELDS as readonly string[]).includes(field)) throw S3Errors.malformedXml();
  }
  if (destination.AccountId !== undefined && !/^\d{12}$/.test(destination.AccountId)) throw S3Errors.invalidArgument("Invalid account id.", "AccountId", destination.AccountId);
  return config;
}

function csvField(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

export class InventoryModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.events.push({
      bucketDeleted: (bucket) => {
        this.configs.delete("inventory", bucket.name);
        this.cloud.scheduler.cancel(this.jobKey(bucket.name));
      },
    });
  }

  onStart(): void {
    this.cloud.scheduler.on(REPORT_JOB, (job: Job<{ bucket: string }>) => this.run(job.payload.bucket));
  }

  private jobKey(bucket: string): string {
    return `${REPORT_JOB}:${bucket}`;
  }

  private all(bucket: string): Record<string, InventoryConfiguration> {
    return this.configs.get<Record<string, InventoryConfiguration>>("inventory", bucket) ?? {};
  }

  private arm(bucket: BucketRecord): void {
    this.cloud.scheduler.schedule({ kind: REPORT_JOB, key: this.jobKey(bucket.name), due: nextMidnight(this.cloud.clock.now()), account: bucket.account, region: bucket.region, payload: { bucket: bucket.name } });
  }

  async PutBucketInventoryConfiguration(input: PutBucketInventoryConfigurationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:PutInventoryConfiguration" });
    const config = checkInventory(input);
    const all = { ...this.all(bucket.name) };
    if (!all[config.Id] && Object.keys(all).length >= 1000) {
      throw new AwsError("TooManyConfigurations", "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.", { status: 400 });
    }
    all[config.Id] = config;
    this.configs.put("inventory", bucket.name, all);
    this.arm(bucket);
  }

  async GetBucketInventoryConfiguration(input: GetBucketInventoryConfigurationRequest, ctx: CallContext): Promise<GetBucketInventoryConfigurationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:GetInventoryConfiguration" });
    const config = this.all(bucket.name)[input.Id];
    if (!config) throw noSuchConfiguration();
    return { InventoryConfiguration: config };
  }

  async DeleteBucketInventoryConfiguration(input: DeleteBucketInventoryConfigurationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:PutInventoryConfiguration" });
    const all = { ...this.all(bucket.name) };
    if (!all[input.Id]) throw noSuchConfiguration();
    delete all[input.Id];
    if (Object.keys(all).length === 0) {
      this.configs.delete("inventory", bucket.name);
      this.cloud.scheduler.cancel(this.jobKey(bucket.name));
    } else this.configs.put("inventory", bucket.name, all);
  }

  async ListBucketInventoryConfigurations(input: ListBucketInventoryConfigurationsRequest, ctx: CallContext): Promise<ListBucketInventoryConfigurationsOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:GetInventoryConfiguration" });
    const all = this.all(bucket.name);
    const ids = Object.keys(all).sort();
    const after = input.ContinuationToken ? Buffer.from(input.ContinuationToken, "base64url").toString() : "";
    const rest = ids.filter((id) => id > after);
    const page = rest.slice(0, 100);
    const more = rest.length > page.length;
    return {
      IsTruncated: more,
      ContinuationToken: input.ContinuationToken,
      NextContinuationToken: more ? Buffer.from(page[page.length - 1]).toString("base64url") : undefined,
      InventoryConfigurationList: page.length ? page.map((id) => all[id]) : undefined,
    };
  }

  /** Midnight: every enabled configuration due today writes its report; then the next midnight is armed. */
  private async run(name: string): Promise<void> {
    const bucket = this.store.bucket(name);
    const configs = Object.values(this.all(name));
    if (!bucket || configs.length === 0) return;
    const now = new Date(this.cloud.clock.now());
    for (const config of configs) {
      if (!config.IsEnabled) continue;
      if (config.Schedule.Frequency === "Weekly" && now.getUTCDay() !== 0) continue;
      try {
        await this.report(bucket, config, now);
      } catch (error) {
        this.cloud.log.error(`s3: inventory report ${config.Id} of ${name} failed`, error);
      }
    }
    this.arm(bucket);
  }

  private async report(bucket: BucketRecord, config: InventoryConfiguration, now: Date): Promise<void> {
    const destination = config.Destination.S3BucketDestination;
    const targetName = DESTINATION.exec(destination.Bucket)![1];
    const target = this.store.bucket(targetName);
    if (!target || !this.deliveryAllowed(target.name, bucket, destination.Prefix ?? "")) {
      this.cloud.log.debug(`s3: inventory ${config.Id} of ${bucket.name} not delivered: ${targetName} is missing or does not let s3.amazonaws.com write`);
      return;
    }
    const all = config.IncludedObjectVersions === "All";
    const fields = FIELDS.filter((f) => config.OptionalFields?.includes(f));
    const schema = ["Bucket", "Key", ...(all ? ["VersionId", "IsLatest", "IsDeleteMarker"] : []), ...fields];
    const lines: string[] = [];
    const prefix = config.Filter?.Prefix ?? "";
    let after = prefix;
    let first = true;
    for (;;) {
      const rows = this.store.versionsFrom(bucket.name, after, 500, first);
      first = false;
      if (rows.length === 0) break;
      const keys = [...new Set(rows.map((r) => r.key))].filter((k) => k.startsWith(prefix));
      for (const key of keys) {
        for (const version of this.store.versionsOfKey(bucket.name, key)) {
          if (!all && (!version.isLatest || version.deleteMarker)) continue;
          lines.push(this.row(bucket, version, all, fields).map(csvField).join(","));
        }
      }
      const last = rows[rows.length - 1].key;
      if (rows.length < 500 || !last.startsWith(prefix)) break;
      after = last;
    }
    const stamp = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}T${pad(now.getUTCHours())}-${pad(now.getUTCMinutes())}Z`;
    const base = `${destination.Prefix ? `${destination.Prefix.replace(/\/$/, "")}/` : ""}${bucket.name}/${config.Id}`;
    const data = gzipSync(Buffer.from(lines.length ? lines.join("\n") + "\n" : ""));
    const dataKey = `${base}/data/${crypto().randomUUID()}.csv.gz`;
    await this.write(target, dataKey, data, "application/octet-stream");
    const manifest = Buffer.from(
      JSON.stringify(
        {
          sourceBucket: bucket.name,
          destinationBucket: destination.Bucket,
          version: "2016-11-30",
          creationTimestamp: String(now.getTime()),
          fileFormat: "CSV",
          fileSchema: schema.join(", "),
          files: [{ key: dataKey, size: data.length, MD5checksum: crypto().createHash("md5").update(data).digest("hex") }],
        },
        null,
        2,
      ),
    );
    await this.write(target, `${base}/${stamp}/manifest.json`, manifest, "application/json");
    await this.write(target, `${base}/${stamp}/manifest.checksum`, Buffer.from(crypto().createHash("md5").update(manifest).digest("hex")), "text/plain");
    const dt = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}-${pad(now.getUTCHours())}-${pad(now.getUTCMinutes())}`;
    await this.write(target, `${base}/hive/dt=${dt}/symlink.txt`, Buffer.from(`s3://${target.name}/${dataKey}\n`), "text/plain");
  }

  private row(bucket: BucketRecord, v: StoredVersion, all: boolean, fields: readonly string[]): string[] {
    const out = [bucket.name, encodeURIComponent(v.key).replace(/%2F/g, "/")];
    if (all) out.push(v.versionId === "null" ? "" : v.versionId, String(v.isLatest), String(v.deleteMarker));
    const lock = lockOf(v);
    for (const field of fields) {
      switch (field) {
        case "Size":
          out.push(v.deleteMarker ? "" : String(v.size));
          break;
        case "LastModifiedDate":
          out.push(v.lastModified.toISOString());
          break;
        case "ETag":
          out.push(v.etag.replace(/"/g, ""));
          break;
        case "StorageClass":
          out.push(v.deleteMarker ? "" : v.storageClass);
          break;
        case "IsMultipartUploaded":
          out.push(String(v.partsCount !== undefined));
          break;
        case "ReplicationStatus":
          out.push(v.replicationStatus ?? "");
          break;
        case "EncryptionStatus":
          out.push(
            v.encryption?.SSECustomerAlgorithm ? "SSE-C" : v.encryption?.ServerSideEncryption === "aws:kms" ? "SSE-KMS" : v.encryption?.ServerSideEncryption === "aws:kms:dsse" ? "DSSE-KMS" : v.encryption ? "SSE-S3" : "NOT-SSE",
          );
          break;
        case "ObjectLockRetainUntilDate":
          out.push(lock.until !== undefined ? new Date(lock.until).toISOString() : "");
          break;
        case "ObjectLockMode":
          out.push(lock.mode ?? "");
          break;
        case "ObjectLockLegalHoldStatus":
          out.push(lock.legalHold ?? "");
          break;
        case "BucketKeyStatus":
          out.push(v.encryption?.BucketKeyEnabled ? "ENABLED" : "DISABLED");
          break;
        case "ChecksumAlgorithm":
          out.push(v.checksum?.algorithm ?? "");
          break;
        case "IntelligentTieringAccessTier":
          out.push(!v.deleteMarker && v.storageClass === INTELLIGENT_TIERING ? accessTier(v, this.cloud.clock.now()) : "");
          break;
        default:
          out.push("");
      }
    }
    return out;
  }

  private async write(target: BucketRecord, key: string, body: Buffer, contentType: string): Promise<void> {
    const sealed = await this.hooks.encryption.seal({ bucket: target, key, sse: {}, operation: "Inventory" });
    const { pending, facts } = await this.engine.ingest(body, { length: body.length, maxSize: MAX_PUT_SIZE }, sealed?.codec, 0);
    this.engine.publish(
      target.name,
      key,
      { owner: target.account, storageClass: "STANDARD", contentType, metadata: {}, tags: [], encryption: sealed?.record },
      { segments: [{ pending, size: facts.size, segment: 0 }], size: facts.size, etag: quoteEtag(facts.md5Hex) },
      { cause: "Inventory" },
    );
  }

  /** The destination's policy must let s3.amazonaws.com put objects (an explicit Deny wins), as AWS documents. */
  private deliveryAllowed(target: string, source: BucketRecord, prefix: string): boolean {
    const policy = this.configs.get<{ text: string }>("policy", target);
    if (!policy) return false;
    try {
      return (
        evaluatePolicy(parseBucketPolicy(policy.text, target), {
          requester: { anonymous: false, account: "", arn: "", service: "s3.amazonaws.com" },
          action: "s3:PutObject",
          resource: `arn:aws:s3:::${target}/${prefix ? `${prefix.replace(/\/$/, "")}/` : ""}${source.name}/`,
          context: { "aws:sourceaccount": source.account, "aws:sourcearn": `arn:aws:s3:::${source.name}`, "s3:x-amz-acl": "bucket-owner-full-control" },
        }) === "Allow"
      );
    } catch {
      return false;
    }
  }
}
