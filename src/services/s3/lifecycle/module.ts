/**
 * Lifecycle: Put/Get/DeleteBucketLifecycleConfiguration with S3's
 * validation, x-amz-expiration on object responses, the daily sweep that
 * applies the rules, and RestoreObject with x-amz-restore.
 */
import { crypto } from "../../../core/crypto.js";
import { AwsError } from "../../../core/errors.js";
import type {
  DeleteBucketLifecycleRequest,
  GetBucketLifecycleConfigurationOutput,
  GetBucketLifecycleConfigurationRequest,
  PutBucketLifecycleConfigurationOutput,
  PutBucketLifecycleConfigurationRequest,
  RestoreObjectOutput,
  RestoreObjectRequest,
  S3Operations,
} from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { S3Base } from "../base.js";
import { S3Errors } from "../errors.js";
import { BucketConfigs } from "../ext/configs.js";
import type { ObjectResponse } from "../hooks.js";
import type { S3Provider } from "../provider.js";
import { validateLifecycle, type LifecycleConfig } from "./config.js";
import { expirationHeader, expirationOf } from "./evaluate.js";
import { RestoreService } from "./restore.js";
import { LifecycleRunner, SWEEP_JOB } from "./runner.js";

type Implemented = Pick<S3Operations, "PutBucketLifecycleConfiguration" | "GetBucketLifecycleConfiguration" | "DeleteBucketLifecycle" | "RestoreObject">;

export class LifecycleModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;
  readonly runner: LifecycleRunner;
  readonly restores: RestoreService;

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    this.runner = new LifecycleRunner(s3, (bucket) => this.config(bucket));
    this.restores = new RestoreService(s3.cloud, s3.store, s3.engine);
    const touched = (bucket: string, cause: string) => {
      if (cause !== "Lifecycle" && this.configs.get("lifecycle", bucket)) this.runner.touched(bucket);
    };
    s3.hooks.events.push({
      versionWritten: (e) => touched(e.bucket.name, e.cause),
      deleteMarkerCreated: (e) => touched(e.bucket.name, e.cause),
      versionRemoved: (e) => touched(e.bucket.name, e.cause),
      bucketDeleted: (bucket) => {
        this.configs.delete("lifecycle", bucket.name);
        this.runner.disarm(bucket.name);
      },
    });
    s3.hooks.responses.push({ objectHeaders: (response) => this.objectHeaders(response) });
  }

  onStart(): void {
    this.cloud.scheduler.on<{ bucket: string }>(SWEEP_JOB, (job) => this.runner.run(job));
    this.restores.register();
  }

  onReset(): void {
    this.runner.reset();
  }

  config(bucket: string): LifecycleConfig | undefined {
    return this.configs.get<LifecycleConfig>("lifecycle", bucket);
  }

  async PutBucketLifecycleConfiguration(input: PutBucketLifecycleConfigurationRequest, ctx: CallContext): Promise<PutBucketLifecycleConfigurationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const config = validateLifecycle(input.LifecycleConfiguration?.Rules, input.TransitionDefaultMinimumObjectSize);
    // S3 names rules that came without an ID.
    config.Rules = config.Rules.map((rule) => ({ ...rule, ID: rule.ID ?? Buffer.from(crypto().randomUUID()).toString("base64") }));
    this.configs.put("lifecycle", bucket.name, config);
    this.runner.touched(bucket.name);
    this.runner.arm(bucket.name, bucket.account, bucket.region);
    return { TransitionDefaultMinimumObjectSize: config.TransitionDefaultMinimumObjectSize };
  }

  async GetBucketLifecycleConfiguration(input: GetBucketLifecycleConfigurationRequest, ctx: CallContext): Promise<GetBucketLifecycleConfigurationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const config = this.config(bucket.name);
    if (!config) {
      throw new AwsError("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", { status: 404, fields: { BucketName: bucket.name } });
    }
    return { Rules: config.Rules, TransitionDefaultMinimumObjectSize: config.TransitionDefaultMinimumObjectSize };
  }

  async DeleteBucketLifecycle(input: DeleteBucketLifecycleRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.configs.delete("lifecycle", bucket.name);
    this.runner.disarm(bucket.name);
  }

  async RestoreObject(input: RestoreObjectRequest, ctx: CallContext): Promise<RestoreObjectOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, key: input.Key, versionId: input.VersionId });
    const version = input.VersionId !== undefined ? this.store.version(bucket.name, input.Key, input.VersionId) : this.store.latest(bucket.name, input.Key);
    if (!version) throw input.VersionId !== undefined ? S3Errors.noSuchVersion(input.Key, input.VersionId) : S3Errors.noSuchKey(input.Key);
    if (version.deleteMarker) throw S3Errors.noSuchKey(input.Key, { "x-amz-delete-marker": "true" });
    const request = input.RestoreRequest ?? {};
    if (request.Type === "SELECT") throw new AwsError("NotImplemented", "Restores of type SELECT are not implemented in Stratus", { status: 501 });
    const tier = request.GlacierJobParameters?.Tier ?? request.Tier;
    ctx.responseStatus = this.restores.request(version, request.Days, tier);
    return {};
  }

  private objectHeaders(response: ObjectResponse): Record<string, string> | undefined {
    const headers: Record<string, string> = {};
    const restore = this.restores.header(response.version);
    if (restore && (response.operation === "GetObject" || response.operation === "HeadObject")) headers["x-amz-restore"] = restore;
    const config = this.config(response.bucket.name);
    if (config && response.version.isLatest) {
      const expiration = expirationOf(config, {
        key: response.version.key,
        size: response.version.size,
        tags: response.version.tags,
        storageClass: response.version.storageClass,
        created: response.version.lastModified.getTime(),
        isLatest: true,
        deleteMarker: response.version.deleteMarker,
      });
      if (expiration) headers["x-amz-expiration"] = expirationHeader(expiration);
    }
    return headers;
  }
}
