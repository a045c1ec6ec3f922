/**
 * S3 Intelligent-Tiering: Put/Get/Delete/ListBucketIntelligentTieringConfiguration,
 * and what the storage class does on the clock. Reads that count as access
 * (GetObject, a copy's source) bring an object back to Frequent Access; the
 * Frequent → Infrequent → Archive Instant Access moves follow from the days
 * since (tiers.ts); once a day, at midnight UTC, objects idle for as long as
 * an enabled configuration says move to Archive Access or Deep Archive
 * Access, where GETs answer InvalidObjectState (HEAD shows
 * x-amz-archive-status) until RestoreObject brings them back (restore.ts).
 */
import { AwsError } from "../../../core/errors.js";
import type {
  DeleteBucketIntelligentTieringConfigurationRequest,
  GetBucketIntelligentTieringConfigurationOutput,
  GetBucketIntelligentTieringConfigurationRequest,
  IntelligentTieringConfiguration,
  ListBucketIntelligentTieringConfigurationsOutput,
  ListBucketIntelligentTieringConfigurationsRequest,
  PutBucketIntelligentTieringConfigurationRequest,
  S3Operations,
} from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { S3Base } from "../base.js";
import { BucketConfigs } from "../ext/configs.js";
import type { ObjectResponse, VersionEvent } from "../hooks.js";
import { nextMidnight } from "../lifecycle/evaluate.js";
import type { S3Provider } from "../provider.js";
import type { StoredVersion } from "../store.js";
import { archiveDays, filterMatches, validateTieringConfig } from "./config.js";
import { INTELLIGENT_TIERING, MIN_MONITORED_SIZE, TIERING, idleDays, tieringOf, type ArchiveTier } from "./tiers.js";

type Implemented = Pick<
  S3Operations,
  | "PutBucketIntelligentTieringConfiguration"
  | "GetBucketIntelligentTieringConfiguration"
  | "DeleteBucketIntelligentTieringConfiguration"
  | "ListBucketIntelligentTieringConfigurations"
>;

type Configs = Record<string, IntelligentTieringConfiguration>;

export const ARCHIVE_JOB = "s3.intelligent-tiering.archive";
const KIND = "intelligent-tiering";
const MAX_CONFIGS = 1000;
const PAGE = 100;

const noSuchConfiguration = () => new AwsError("NoSuchConfiguration", "The specified configuration does not exist.", { status: 404 });

export class IntelligentTieringModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.events.push({
      versionRead: (event) => this.accessed(event),
      bucketDeleted: (bucket) => this.configs.delete(KIND, bucket.name),
    });
    s3.hooks.responses.push({ objectHeaders: (response) => this.archiveStatus(response) });
  }

  onStart(): void {
    this.cloud.scheduler.on(ARCHIVE_JOB, () => this.archiveDue());
    if (this.configs.of(KIND).ids().length > 0) this.arm();
  }

  private all(bucket: string): Configs {
    return this.configs.get<Configs>(KIND, bucket) ?? {};
  }

  /** The daily pass, at the next midnight UTC (one job for every bucket). */
  private arm(): void {
    this.cloud.scheduler.schedule({ kind: ARCHIVE_JOB, key: ARCHIVE_JOB, due: nextMidnight(this.cloud.clock.now()), account: "", region: "", payload: null });
  }

  async PutBucketIntelligentTieringConfiguration(input: PutBucketIntelligentTieringConfigurationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:PutIntelligentTieringConfiguration" });
    const config = validateTieringConfig(input.Id, input.IntelligentTieringConfiguration);
    const all = { ...this.all(bucket.name) };
    if (!all[config.Id] && Object.keys(all).length >= MAX_CONFIGS) {
      throw new AwsError("TooManyConfigurations", "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.", { status: 400 });
    }
    all[config.Id] = config;
    this.configs.put(KIND, bucket.name, all);
    this.arm();
  }

  async GetBucketIntelligentTieringConfiguration(
    input: GetBucketIntelligentTieringConfigurationRequest,
    ctx: CallContext,
  ): Promise<GetBucketIntelligentTieringConfigurationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:GetIntelligentTieringConfiguration" });
    const config = this.all(bucket.name)[input.Id];
    if (!config) throw noSuchConfiguration();
    return { IntelligentTieringConfiguration: config };
  }

  async DeleteBucketIntelligentTieringConfiguration(input: DeleteBucketIntelligentTieringConfigurationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:PutIntelligentTieringConfiguration" });
    const all = { ...this.all(bucket.name) };
    if (!all[input.Id]) throw noSuchConfiguration();
    delete all[input.Id];
    if (Object.keys(all).length === 0) this.configs.delete(KIND, bucket.name);
    else this.configs.put(KIND, bucket.name, all);
  }

  async ListBucketIntelligentTieringConfigurations(
    input: ListBucketIntelligentTieringConfigurationsRequest,
    ctx: CallContext,
  ): Promise<ListBucketIntelligentTieringConfigurationsOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:GetIntelligentTieringConfiguration" });
    const all = this.all(bucket.name);
    const ids = Object.keys(all).sort();
    const after = input.ContinuationToken ? Buffer.from(input.ContinuationToken, "base64url").toString() : undefined;
    const rest = after === undefined ? ids : ids.filter((id) => id > after);
    const page = rest.slice(0, PAGE).map((id) => all[id]);
    const more = rest.length > PAGE;
    return {
      IsTruncated: more,
      ContinuationToken: input.ContinuationToken,
      NextContinuationToken: more ? Buffer.from(page[page.length - 1].Id).toString("base64url") : undefined,
      IntelligentTieringConfigurationList: page.length ? page : undefined,
    };
  }

  /** A read that counts as access: the object is in Frequent Access again (recorded at most once a day). */
  private accessed(event: VersionEvent): void {
    const seen = event.version;
    if (seen.storageClass !== INTELLIGENT_TIERING || seen.size < MIN_MONITORED_SIZE || tieringOf(seen).archive) return;
    const now = this.cloud.clock.now();
    if (idleDays(seen, now) < 1) return;
    const version = this.store.version(event.bucket.name, seen.key, seen.versionId);
    if (version) this.engine.updateVersion(version, (v) => void (v.ext[TIERING] = { accessed: now }));
  }

  /** HEAD and GET of an object in an archive tier say which. */
  private archiveStatus(response: ObjectResponse): Record<string, string> | undefined {
    if (response.operation !== "HeadObject" && response.operation !== "GetObject") return undefined;
    const archive = tieringOf(response.version).archive;
    return archive ? { "x-amz-archive-status": archive } : undefined;
  }

  /** At midnight: every bucket's idle objects move into the archive tiers its enabled configurations name. */
  private archiveDue(): void {
    const now = this.cloud.clock.now();
    const buckets = this.configs.of(KIND).ids();
    for (const bucket of buckets) {
      const enabled = Object.values(this.all(bucket)).filter((c) => c.Status === "Enabled");
      if (enabled.length === 0) continue;
      for (const version of this.tieredVersions(bucket)) {
        const target = archiveTarget(version, enabled, now);
        if (target) this.engine.updateVersion(version, (v) => void (v.ext[TIERING] = { ...tieringOf(v), archive: target }));
      }
    }
    if (buckets.length > 0) this.arm();
  }

  private *tieredVersions(bucket: string): Generator<StoredVersion> {
    const ids = this.store.sql
      .prepare("SELECT id FROM s3_versions WHERE bucket = ? AND storage_class = ? AND delete_marker = 0 AND size >= ? ORDER BY id")
      .all(bucket, INTELLIGENT_TIERING, MIN_MONITORED_SIZE) as Array<{ id: number }>;
    for (const { id } of ids) {
      const version = this.store.versionByRowId(id);
      if (version) yield version;
    }
  }
}

/** The archive tier a version is due to enter now, if any (the shortest days of the configurations it falls under win). */
function archiveTarget(version: StoredVersion, configs: IntelligentTieringConfiguration[], now: number): ArchiveTier | undefined {
  const state = tieringOf(version);
  if (state.archive === "DEEP_ARCHIVE_ACCESS" || (version.ext.restore as { ongoing?: boolean } | undefined)?.ongoing) return undefined;
  const due: Partial<Record<ArchiveTier, number>> = {};
  for (const config of configs) {
    if (!filterMatches(config.Filter, version.key, version.tags)) continue;
    for (const [tier, days] of Object.entries(archiveDays(config)) as Array<[ArchiveTier, number]>) due[tier] = Math.min(due[tier] ?? Infinity, days);
  }
  const idle = idleDays(version, now);
  if (due.DEEP_ARCHIVE_ACCESS !== undefined && idle >= due.DEEP_ARCHIVE_ACCESS) return "DEEP_ARCHIVE_ACCESS";
  if (!state.archive && due.ARCHIVE_ACCESS !== undefined && idle >= due.ARCHIVE_ACCESS) return "ARCHIVE_ACCESS";
  return undefined;
}
