/**
 * Object Lock, enforced: the bucket's lock configuration (enabled at
 * CreateBucket or on a versioned bucket later, default retention), per-version
 * retention and legal hold (from the write's x-amz-object-lock-* headers or the
 * bucket default, or Put/GetObjectRetention and Put/GetObjectLegalHold), and
 * the refusal to remove a locked version until its retention ends on the
 * Stratus clock — GOVERNANCE yields to x-amz-bypass-governance-retention from
 * a caller allowed s3:BypassGovernanceRetention, COMPLIANCE to nothing.
 */
import { AwsError } from "../../../core/errors.js";
import type {
  GetObjectLegalHoldOutput,
  GetObjectLegalHoldRequest,
  GetObjectLockConfigurationOutput,
  GetObjectLockConfigurationRequest,
  GetObjectRetentionOutput,
  GetObjectRetentionRequest,
  ObjectLockConfiguration,
  PutObjectLegalHoldOutput,
  PutObjectLegalHoldRequest,
  PutObjectLockConfigurationOutput,
  PutObjectLockConfigurationRequest,
  PutObjectRetentionOutput,
  PutObjectRetentionRequest,
  S3Operations,
} from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { S3Base } from "../base.js";
import { S3Errors } from "../errors.js";
import { BucketConfigs } from "../ext/configs.js";
import type { AccessRequest, BucketRecord, ObjectVersion, S3Authorizer, VersionEvent, WriteRequest } from "../hooks.js";
import { resolveVersion } from "../object-common.js";
import type { S3Provider } from "../provider.js";
import { addRetention, type LockState, isLocked, lockOf, type StoredLockConfig } from "./state.js";

type Implemented = Pick<
  S3Operations,
  "PutObjectLockConfiguration" | "GetObjectLockConfiguration" | "PutObjectRetention" | "GetObjectRetention" | "PutObjectLegalHold" | "GetObjectLegalHold"
>;

const MODES = new Set(["GOVERNANCE", "COMPLIANCE"]);
const protectedByLock = () => new AwsError("AccessDenied", "Access Denied because object protected by object lock.", { status: 403 });
const missingLockConfig = () => S3Errors.invalidRequest("Bucket is missing Object Lock Configuration");
const invalidPeriod = (message: string) => new AwsError("InvalidRetentionPeriod", message, { status: 400 });
const notFuture = () => S3Errors.invalidArgument("The retain until date must be in the future!");

/** Operations that may carry x-amz-bypass-governance-retention. */
const BYPASS_OPERATIONS = new Set(["DeleteObject", "DeleteObjects", "PutObjectRetention"]);

/** Whether a write request carries an integrity header S3 accepts for Object Lock writes. */
function hasIntegrityHeader(headers: Record<string, string | undefined>): boolean {
  if (headers["content-md5"]) return true;
  for (const name of Object.keys(headers)) {
    if (name.startsWith("x-amz-checksum-") && name !== "x-amz-checksum-type" && name !== "x-amz-checksum-algorithm") return true;
  }
  return /x-amz-checksum-/i.test(headers["x-amz-trailer"] ?? "");
}

export class ObjectLockModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;
  /** Requests whose caller asked to bypass governance retention and is allowed to. */
  private readonly bypassing = new WeakSet<CallContext>();

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.events.push({
      bucketCreated: (bucket, _ctx, input) => {
        const enabled = input?.ObjectLockEnabledForBucket;
        if (enabled !== true && enabled !== "true") return;
        this.configs.put<StoredLockConfig>("object-lock", bucket.name, { enabled: true });
        this.store.setVersioning(bucket.name, "Enabled");
        bucket.versioning = "Enabled";
      },
      versioningChanging: (bucket, state) => {
        if (state !== "Enabled" && this.config(bucket.name)) {
          throw new AwsError("InvalidBucketState", "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.", { status: 409 });
        }
      },
      versionRemoving: (event) => this.checkRemoval(event),
      bucketDeleted: (bucket) => this.configs.delete("object-lock", bucket.name),
    });
    s3.hooks.writes.push({ prepare: (request) => this.prepare(request) });
    s3.hooks.responses.push({ objectHeaders: ({ version, operation }) => (operation === "GetObject" || operation === "HeadObject" ? lockHeaders(version) : undefined) });
    // The bypass header counts only for a caller the policies allow s3:BypassGovernanceRetention.
    const inner: S3Authorizer = s3.hooks.authorizer;
    const bypassing = this.bypassing;
    s3.hooks.authorizer = {
      async authorize(request: AccessRequest) {
        await inner.authorize(request);
        const header = request.ctx.request.headers["x-amz-bypass-governance-retention"];
        if (header?.toLowerCase() !== "true" || !BYPASS_OPERATIONS.has(request.operation) || request.bucket === undefined) return;
        try {
          await inner.authorize({ ...request, action: "s3:BypassGovernanceRetention" });
          bypassing.add(request.ctx);
        } catch {
          // Not allowed: governance retention stays in force for this request.
        }
      },
    };
  }

  private config(bucket: string): StoredLockConfig | undefined {
    return this.configs.get<StoredLockConfig>("object-lock", bucket);
  }

  private now(): number {
    return this.cloud.clock.now();
  }

  // --- Bucket configuration ----------------------------------------------------

  async PutObjectLockConfiguration(input: PutObjectLockConfigurationRequest, ctx: CallContext): Promise<PutObjectLockConfigurationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:PutBucketObjectLockConfiguration" });
    const config = input.ObjectLockConfiguration;
    if (!config || (config.ObjectLockEnabled as string | undefined) !== "Enabled") throw S3Errors.malformedXml();
    const stored: StoredLockConfig = { enabled: true };
    const retention = config.Rule?.DefaultRetention;
    if (config.Rule && !retention) throw S3Errors.malformedXml();
    if (retention) {
      if (!retention.Mode || !MODES.has(retention.Mode)) throw S3Errors.malformedXml();
      const hasDays = retention.Days !== undefined;
      const hasYears = retention.Years !== undefined;
      if (hasDays === hasYears) throw S3Errors.malformedXml();
      const value = (hasDays ? retention.Days : retention.Years)!;
      if (!Number.isInteger(value) || value <= 0) throw invalidPeriod("Default retention period must be a positive integer value.");
      if ((hasDays && value > 36500) || (hasYears && value > 100)) throw invalidPeriod("Default retention period is too large.");
      stored.rule = { mode: retention.Mode, ...(hasDays ? { days: value } : { years: value }) };
    }
    if (!this.config(bucket.name) && bucket.versioning !== "Enabled") {
      throw new AwsError("InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration", { status: 409 });
    }
    this.configs.put("object-lock", bucket.name, stored);
    return {};
  }

  async GetObjectLockConfiguration(input: GetObjectLockConfigurationRequest, ctx: CallContext): Promise<GetObjectLockConfigurationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:GetBucketObjectLockConfiguration" });
    const config = this.config(bucket.name);
    if (!config) {
      throw new AwsError("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket", { status: 404, fields: { BucketName: bucket.name } });
    }
    const out: ObjectLockConfiguration = { ObjectLockEnabled: "Enabled" };
    if (config.rule) {
      out.Rule = { DefaultRetention: { Mode: config.rule.mode, ...(config.rule.days !== undefined ? { Days: config.rule.days } : { Years: config.rule.years }) } };
    }
    return { ObjectLockConfiguration: out };
  }

  // --- Per-version retention and legal hold -------------------------------------

  private async lockedTarget(input: { Bucket: string; Key: string; VersionId?: string }, ctx: CallContext, method: string) {
    const bucket = await this.bucketFor(ctx, input.Bucket, { key: input.Key, versionId: input.VersionId, input });
    if (!this.config(bucket.name)) throw missingLockConfig();
    const version = resolveVersion(this.store, bucket, input.Key, input.VersionId, method);
    return { bucket, version };
  }

  async PutObjectRetention(input: PutObjectRetentionRequest, ctx: CallContext): Promise<PutObjectRetentionOutput> {
    const { version } = await this.lockedTarget(input, ctx, "PUT");
    const mode = input.Retention?.Mode as string | undefined;
    const until = input.Retention?.RetainUntilDate;
    if ((mode === undefined) !== (until === undefined)) throw S3Errors.malformedXml();
    if (mode !== undefined && !MODES.has(mode)) throw S3Errors.malformedXml();
    const untilMs = until ? new Date(until).getTime() : undefined;
    if (untilMs !== undefined && (Number.isNaN(untilMs) || untilMs <= this.now())) throw notFuture();
    const current = lockOf(version);
    const now = this.now();
    if (current.until !== undefined && current.until > now) {
      // Removing, shortening or changing the mode of a running retention (even GOVERNANCE to COMPLIANCE).
      const weakens = untilMs === undefined || untilMs < current.until || mode !== current.mode;
      if (weakens && (current.mode === "COMPLIANCE" || !this.bypassing.has(ctx))) throw protectedByLock();
    }
    await this.engine.batched(() =>
      this.engine.updateVersion(version, (v) => {
        const lock: LockState = { ...lockOf(v) };
        if (mode === undefined) {
          delete lock.mode;
          delete lock.until;
        } else {
          lock.mode = mode as LockState["mode"];
          lock.until = untilMs;
        }
        v.ext = { ...v.ext, lock };
      }),
    );
    return {};
  }

  async GetObjectRetention(input: GetObjectRetentionRequest, ctx: CallContext): Promise<GetObjectRetentionOutput> {
    const { version } = await this.lockedTarget(input, ctx, "GET");
    const lock = lockOf(version);
    if (lock.mode === undefined || lock.until === undefined) throw noLockConfig();
    return { Retention: { Mode: lock.mode, RetainUntilDate: new Date(lock.until) } };
  }

  async PutObjectLegalHold(input: PutObjectLegalHoldRequest, ctx: CallContext): Promise<PutObjectLegalHoldOutput> {
    const { version } = await this.lockedTarget(input, ctx, "PUT");
    const status = input.LegalHold?.Status as string | undefined;
    if (status !== "ON" && status !== "OFF") throw S3Errors.malformedXml();
    await this.engine.batched(() => this.engine.updateVersion(version, (v) => (v.ext = { ...v.ext, lock: { ...lockOf(v), legalHold: status } })));
    return {};
  }

  async GetObjectLegalHold(input: GetObjectLegalHoldRequest, ctx: CallContext): Promise<GetObjectLegalHoldOutput> {
    const { version } = await this.lockedTarget(input, ctx, "GET");
    const lock = lockOf(version);
    if (lock.legalHold === undefined) throw noLockConfig();
    return { LegalHold: { Status: lock.legalHold } };
  }

  // --- Writes and removals ----------------------------------------------------

  /** Checks a write's x-amz-object-lock-* headers and gives the new version its lock (explicit or the bucket default). */
  private prepare(request: WriteRequest): Record<string, unknown> | undefined {
    const { bucket, input, ctx, operation } = request;
    const config = this.config(bucket.name);
    if (operation === "UploadPart") {
      const lock = (request.uploadExt?.lock ?? {}) as LockState;
      if ((lock.until !== undefined || lock.legalHold === "ON") && !hasIntegrityHeader(ctx.request.headers)) {
        throw S3Errors.invalidRequest("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters");
      }
      return undefined;
    }
    if (operation === "UploadPartCopy") return undefined;
    const mode = input.ObjectLockMode as string | undefined;
    const until = input.ObjectLockRetainUntilDate as Date | string | undefined;
    const legalHold = input.ObjectLockLegalHoldStatus as string | undefined;
    const explicit = mode !== undefined || until !== undefined || legalHold !== undefined;
    if (!config) {
      if (explicit) throw missingLockConfig();
      return undefined;
    }
    if ((mode === undefined) !== (until === undefined)) {
      throw S3Errors.invalidArgument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
    }
    if (mode !== undefined && !MODES.has(mode)) throw S3Errors.invalidArgument("Unknown wormMode directive.", "x-amz-object-lock-mode", mode);
    if (legalHold !== undefined && legalHold !== "ON" && legalHold !== "OFF") {
      throw S3Errors.invalidArgument("Legal Hold must be either of 'ON' or 'OFF'", "x-amz-object-lock-legal-hold", legalHold);
    }
    const now = this.now();
    const lock: LockState = {};
    if (mode !== undefined) {
      const untilMs = new Date(until!).getTime();
      if (Number.isNaN(untilMs) || untilMs <= now) throw notFuture();
      lock.mode = mode as LockState["mode"];
      lock.until = untilMs;
    } else if (config.rule) {
      lock.mode = config.rule.mode;
      lock.until = addRetention(now, config.rule);
    }
    if (legalHold !== undefined) lock.legalHold = legalHold as LockState["legalHold"];
    if (operation === "PutObject" && (lock.until !== undefined || legalHold !== undefined) && !hasIntegrityHeader(ctx.request.headers)) {
      throw S3Errors.invalidRequest("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters");
    }
    return lock.mode !== undefined || lock.legalHold !== undefined ? { lock } : undefined;
  }

  /** A locked version stays until its retention ends (or a permitted bypass of GOVERNANCE) and its legal hold is off. */
  private checkRemoval(event: VersionEvent): void {
    const lock = lockOf(event.version);
    if (!isLocked(lock, this.now())) return;
    const bypass = event.ctx !== undefined && this.bypassing.has(event.ctx);
    if (lock.legalHold === "ON" || lock.mode === "COMPLIANCE" || !bypass) throw protectedByLock();
  }
}

function noLockConfig(): AwsError {
  return new AwsError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", { status: 404 });
}

/** The object lock headers of GET and HEAD. */
function lockHeaders(version: ObjectVersion): Record<string, string> | undefined {
  const lock = lockOf(version);
  const headers: Record<string, string> = {};
  if (lock.mode !== undefined && lock.until !== undefined) {
    headers["x-amz-object-lock-mode"] = lock.mode;
    headers["x-amz-object-lock-retain-until-date"] = new Date(lock.until).toISOString();
  }
  if (lock.legalHold !== undefined) headers["x-amz-object-lock-legal-hold"] = lock.legalHold;
  return Object.keys(headers).length ? headers : undefined;
}

export type { BucketRecord };
