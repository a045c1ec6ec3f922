/** Cross-region replication: Put/Get/DeleteBucketReplication and the queue that copies. */
import { AwsError } from "../../../core/errors.js";
import type {
  DeleteBucketReplicationRequest,
  GetBucketReplicationOutput,
  GetBucketReplicationRequest,
  PutBucketReplicationRequest,
  ReplicationConfiguration,
  S3Operations,
} from "../../../generated/s3.js";
import { IamStore } from "../../iam/store.js";
import type { KmsApi } from "../../kms/api.js";
import type { CallContext, ServiceProvider } from "../../types.js";
import { S3Base } from "../base.js";
import { BucketConfigs } from "../ext/configs.js";
import type { S3Provider } from "../provider.js";
import { validateReplication } from "./config.js";
import { ReplicationMetrics } from "./metrics.js";
import { REPLICATE_JOB, Replicator, type ReplicateJob } from "./replicator.js";

type Implemented = Pick<S3Operations, "PutBucketReplication" | "GetBucketReplication" | "DeleteBucketReplication">;

export class ReplicationModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;
  private readonly iam: IamStore;
  private readonly metrics: ReplicationMetrics;
  readonly replicator: Replicator;

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    this.iam = new IamStore(s3.cloud);
    this.metrics = new ReplicationMetrics(s3.cloud);
    this.replicator = new Replicator(s3, (bucket) => this.config(bucket), this.metrics);
    s3.hooks.events.push({
      versionWritten: (e) => {
        if (e.cause !== "Replication" && !e.version.deleteMarker) {
          this.replicator.versionWritten(e.bucket, e.version.key, e.version.versionId, e.version.replicationStatus, e.version.tags, e.version.encryption, e.version.size);
        }
      },
      deleteMarkerCreated: (e) => {
        // Markers that lifecycle expiration creates are not replicated (as on AWS).
        if (e.cause !== "Replication" && e.cause !== "Lifecycle") this.replicator.deleteMarkerCreated(e.bucket, e.version.key, e.version.versionId);
      },
      bucketDeleted: (bucket) => this.configs.delete("replication", bucket.name),
      versioningChanging: (bucket, state) => {
        if (state !== "Enabled" && this.config(bucket.name)) {
          throw new AwsError("InvalidBucketState", "A replication configuration is present on this bucket, so the versioning state cannot be changed.", { status: 409, fields: { BucketName: bucket.name } });
        }
      },
    });
  }

  onStart(): void {
    this.cloud.scheduler.on<ReplicateJob>(REPLICATE_JOB, (job) => this.replicator.run(job));
  }

  onReset(): void {
    this.metrics.reset();
  }

  config(bucket: string): ReplicationConfiguration | undefined {
    return this.configs.get<ReplicationConfiguration>("replication", bucket);
  }

  async PutBucketReplication(input: PutBucketReplicationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const kms = this.cloud.provider<KmsApi & ServiceProvider>("kms");
    const config = validateReplication(input.ReplicationConfiguration, {
      sourceBucket: bucket.name,
      sourceVersioning: bucket.versioning,
      roleExists: (arn) => this.iam.findRole(bucket.account, arn) !== undefined,
      destination: (name) => {
        const target = this.store.bucket(name);
        return target ? { exists: true, versioning: target.versioning, region: target.region } : { exists: false };
      },
      kmsKeyExists: (keyRef) => {
        try {
          kms.describeKeyFor({ account: bucket.account, region: bucket.region }, keyRef);
          return true;
        } catch {
          return false;
        }
      },
    });
    this.configs.put("replication", bucket.name, config);
  }

  async GetBucketReplication(input: GetBucketReplicationRequest, ctx: CallContext): Promise<GetBucketReplicationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const config = this.config(bucket.name);
    if (!config) {
      throw new AwsError("ReplicationConfigurationNotFoundError", "The replication configuration was not found", { status: 404, fields: { BucketName: bucket.name } });
    }
    return { ReplicationConfiguration: config };
  }

  async DeleteBucketReplication(input: DeleteBucketReplicationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.configs.delete("replication", bucket.name);
  }
}
