/**
 * CloudWatch request metrics: Put/Get/Delete/ListBucketMetricsConfiguration,
 * and, for each configuration, the requests to its bucket that match its filter
 * counted per minute and published to AWS/S3 with the BucketName and FilterId
 * dimensions (AllRequests, GetRequests, PutRequests, DeleteRequests,
 * HeadRequests, PostRequests, ListRequests, BytesDownloaded, BytesUploaded,
 * 4xxErrors, 5xxErrors, FirstByteLatency, TotalRequestLatency).
 */
import { AwsError } from "../../../core/errors.js";
import type { BuiltInDatum } from "../../cloudwatch/publish.js";
import type { Job } from "../../../clock/scheduler.js";
import type {
  DeleteBucketMetricsConfigurationRequest,
  GetBucketMetricsConfigurationOutput,
  GetBucketMetricsConfigurationRequest,
  ListBucketMetricsConfigurationsOutput,
  ListBucketMetricsConfigurationsRequest,
  MetricsConfiguration,
  MetricsFilter,
  PutBucketMetricsConfigurationRequest,
  S3Operations,
  Tag,
} from "../../../generated/s3.js";
import type { CallContext, CompletedRequest } from "../../types.js";
import { S3Base } from "../base.js";
import { S3Errors } from "../errors.js";
import { BucketConfigs } from "../ext/configs.js";
import { publishS3 } from "../metrics/sink.js";
import { requestAddress } from "../protocol.js";
import type { S3Provider } from "../provider.js";

type Implemented = Pick<
  S3Operations,
  "PutBucketMetricsConfiguration" | "GetBucketMetricsConfiguration" | "DeleteBucketMetricsConfiguration" | "ListBucketMetricsConfigurations"
>;

export const FLUSH_JOB = "s3.request-metrics.flush";
const MINUTE = 60_000;
const MAX_CONFIGS = 1000;
const MAX_LATENCY_SAMPLES = 10_000;
const ID = /^[A-Za-z0-9._-]{1,64}$/;

const COUNTS = ["AllRequests", "GetRequests", "PutRequests", "DeleteRequests", "HeadRequests", "PostRequests", "ListRequests", "4xxErrors", "5xxErrors"] as const;
type Counter = (typeof COUNTS)[number];

/** What S3 counts a request as, by operation (every request also counts in AllRequests). */
const KIND: Record<string, Counter> = {
  GetObject: "GetRequests",
  PutObject: "PutRequests",
  CopyObject: "PutRequests",
  UploadPart: "PutRequests",
  UploadPartCopy: "PutRequests",
  DeleteObject: "DeleteRequests",
  DeleteObjects: "DeleteRequests",
  HeadObject: "HeadRequests",
  HeadBucket: "HeadRequests",
  CreateMultipartUpload: "PostRequests",
  CompleteMultipartUpload: "PostRequests",
  RestoreObject: "PostRequests",
  ListObjects: "ListRequests",
  ListObjectsV2: "ListRequests",
  ListObjectVersions: "ListRequests",
  ListMultipartUploads: "ListRequests",
};

interface Minute {
  counts: Record<Counter, number>;
  bytesDownloaded: number;
  bytesUploaded: number;
  latencies: number[];
}

const noSuchConfiguration = () => new AwsError("NoSuchConfiguration", "The specified configuration does not exist.", { status: 404 });

function checkFilter(filter: MetricsFilter | undefined): void {
  if (!filter) return;
  const forms = [filter.Prefix !== undefined, filter.Tag !== undefined, filter.AccessPointArn !== undefined, filter.And !== undefined].filter(Boolean).length;
  if (forms > 1) throw S3Errors.malformedXml();
  const tags = filter.Tag ? [filter.Tag] : filter.And?.Tags ?? [];
  for (const tag of tags) if (typeof tag.Key !== "string" || tag.Key === "") throw S3Errors.invalidArgument("Invalid filter tag key");
}

/** Whether an object request matches a filter (a bucket-level request only matches the whole-bucket filter). */
function matches(filter: MetricsFilter | undefined, key: string | undefined, tags: () => Tag[]): boolean {
  if (!filter || Object.keys(filter).length === 0) return true;
  if (key === undefined) return false;
  const prefix = filter.Prefix ?? filter.And?.Prefix;
  if (filter.AccessPointArn !== undefined || filter.And?.AccessPointArn !== undefined) return false;
  if (prefix !== undefined && !key.startsWith(prefix)) return false;
  const wanted = filter.Tag ? [filter.Tag] : filter.And?.Tags ?? [];
  if (wanted.length === 0) return true;
  const have = tags();
  return wanted.every((w) => have.some((t) => t.Key === w.Key && t.Value === w.Value));
}

export class RequestMetricsModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;
  /** Per bucket, per filter id, per minute start: what was counted (published once the minute is over). */
  private readonly pending = new Map<string, Map<string, Map<number, Minute>>>();

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.events.push({ bucketDeleted: (bucket) => this.configs.delete("metrics", bucket.name) });
  }

  onStart(): void {
    this.cloud.scheduler.on(FLUSH_JOB, (job: Job<{ bucket: string }>) => this.flush(job.payload.bucket));
  }

  onReset(): void {
    this.pending.clear();
  }

  onStop(): void {
    for (const bucket of [...this.pending.keys()]) this.flush(bucket, true);
  }

  private all(bucket: string): Record<string, MetricsConfiguration> {
    return this.configs.get<Record<string, MetricsConfiguration>>("metrics", bucket) ?? {};
  }

  async PutBucketMetricsConfiguration(input: PutBucketMetricsConfigurationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:PutMetricsConfiguration" });
    const config = input.MetricsConfiguration;
    if (!config || typeof config.Id !== "string") throw S3Errors.malformedXml();
    if (config.Id !== input.Id) throw S3Errors.invalidArgument("Configuration id in the request and body must match", "id", input.Id);
    if (!ID.test(config.Id)) throw S3Errors.invalidArgument("Invalid Id", "id", config.Id);
    checkFilter(config.Filter);
    const all = { ...this.all(bucket.name) };
    if (!all[config.Id] && Object.keys(all).length >= MAX_CONFIGS) {
      throw new AwsError("TooManyConfigurations", "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.", { status: 400 });
    }
    all[config.Id] = { Id: config.Id, ...(config.Filter ? { Filter: config.Filter } : {}) };
    this.configs.put("metrics", bucket.name, all);
  }

  async GetBucketMetricsConfiguration(input: GetBucketMetricsConfigurationRequest, ctx: CallContext): Promise<GetBucketMetricsConfigurationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:GetMetricsConfiguration" });
    const config = this.all(bucket.name)[input.Id];
    if (!config) throw noSuchConfiguration();
    return { MetricsConfiguration: config };
  }

  async DeleteBucketMetricsConfiguration(input: DeleteBucketMetricsConfigurationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:PutMetricsConfiguration" });
    const all = { ...this.all(bucket.name) };
    if (!all[input.Id]) throw noSuchConfiguration();
    delete all[input.Id];
    if (Object.keys(all).length === 0) this.configs.delete("metrics", bucket.name);
    else this.configs.put("metrics", bucket.name, all);
  }

  async ListBucketMetricsConfigurations(input: ListBucketMetricsConfigurationsRequest, ctx: CallContext): Promise<ListBucketMetricsConfigurationsOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:GetMetricsConfiguration" });
    const ids = Object.keys(this.all(bucket.name)).sort();
    const start = input.ContinuationToken ? ids.findIndex((id) => id > Buffer.from(input.ContinuationToken!, "base64url").toString()) : 0;
    const page = (start < 0 ? [] : ids.slice(start, start + 100)).map((id) => this.all(bucket.name)[id]);
    const more = start >= 0 && start + 100 < ids.length;
    return {
      IsTruncated: more,
      ContinuationToken: input.ContinuationToken,
      NextContinuationToken: more ? Buffer.from(page[page.length - 1].Id).toString("base64url") : undefined,
      MetricsConfigurationList: page.length ? page : undefined,
    };
  }

  /** Counts an answered request for every configuration of its bucket whose filter it matches. */
  onRequestCompleted(record: CompletedRequest): void {
    const address = requestAddress(record);
    const name = address.bucket;
    if (!name) return;
    const configs = this.configs.get<Record<string, MetricsConfiguration>>("metrics", name);
    if (!configs) return;
    const bucket = this.store.bucket(name);
    if (!bucket) return;
    const key = address.key;
    let tags: Tag[] | undefined;
    const objectTags = () => (tags ??= key === undefined ? [] : this.store.latest(name, key)?.tags ?? []);
    const now = this.cloud.clock.now();
    const minute = Math.floor(now / MINUTE) * MINUTE;
    for (const config of Object.values(configs)) {
      if (!matches(config.Filter, key, objectTags)) continue;
      let filters = this.pending.get(name);
      if (!filters) {
        filters = new Map();
        this.pending.set(name, filters);
        this.cloud.scheduler.schedule({ kind: FLUSH_JOB, key: `${FLUSH_JOB}:${name}`, due: minute + MINUTE, account: bucket.account, region: bucket.region, payload: { bucket: name } });
      }
      let minutes = filters.get(config.Id);
      if (!minutes) filters.set(config.Id, (minutes = new Map()));
      let m = minutes.get(minute);
      if (!m) {
        m = { counts: Object.fromEntries(COUNTS.map((c) => [c, 0])) as Record<Counter, number>, bytesDownloaded: 0, bytesUploaded: 0, latencies: [] };
        minutes.set(minute, m);
      }
      m.counts.AllRequests++;
      const kind = record.operation ? KIND[record.operation] : undefined;
      if (kind) m.counts[kind]++;
      if (record.status >= 400 && record.status < 500) m.counts["4xxErrors"]++;
      if (record.status >= 500) m.counts["5xxErrors"]++;
      if (record.operation === "GetObject" && record.status < 300) m.bytesDownloaded += record.bytesSent ?? 0;
      if ((record.operation === "PutObject" || record.operation === "UploadPart") && record.status < 300) m.bytesUploaded += Number(record.input?.ContentLength ?? 0);
      // Latencies are kept per request (so percentiles work), up to a bound per minute and filter.
      if (m.latencies.length < MAX_LATENCY_SAMPLES) m.latencies.push(record.totalMs);
    }
  }

  /** Publishes the minutes that are over (all of them at shutdown), then re-arms while some are open. */
  private flush(name: string, everything = false): void {
    const filters = this.pending.get(name);
    if (!filters) return;
    const bucket = this.store.bucket(name);
    const now = this.cloud.clock.now();
    const data: BuiltInDatum[] = [];
    let open: number | undefined;
    for (const [filterId, minutes] of filters) {
      for (const [start, m] of minutes) {
        if (!everything && start + MINUTE > now) {
          open = Math.min(open ?? Infinity, start);
          continue;
        }
        minutes.delete(start);
        const timestamp = new Date(start);
        const dimensions = [{ Name: "BucketName", Value: name }, { Name: "FilterId", Value: filterId }];
        const datum = (metricName: string, value: number, unit: string) => data.push({ namespace: "AWS/S3", metricName, dimensions, timestamp, value, unit });
        for (const counter of COUNTS) if (m.counts[counter] > 0 || counter === "AllRequests" || counter === "4xxErrors" || counter === "5xxErrors") datum(counter, m.counts[counter], "Count");
        if (m.bytesDownloaded > 0) datum("BytesDownloaded", m.bytesDownloaded, "Bytes");
        if (m.bytesUploaded > 0) datum("BytesUploaded", m.bytesUploaded, "Bytes");
        // Stratus answers as it streams: the first byte leaves when the request is answered.
        for (const ms of m.latencies) {
          datum("TotalRequestLatency", ms, "Milliseconds");
          datum("FirstByteLatency", ms, "Milliseconds");
        }
      }
      if (minutes.size === 0) filters.delete(filterId);
    }
    if (filters.size === 0) this.pending.delete(name);
    if (bucket) publishS3(this.cloud, { account: bucket.account, region: bucket.region }, data);
    if (open !== undefined && bucket) {
      this.cloud.scheduler.schedule({ kind: FLUSH_JOB, key: `${FLUSH_JOB}:${name}`, due: open + MINUTE, account: bucket.account, region: bucket.region, payload: { bucket: name } });
    }
  }
}
