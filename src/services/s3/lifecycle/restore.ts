/**
 * RestoreObject for archived objects (GLACIER, DEEP_ARCHIVE): a restore
 * completes after its tier's time on the clock; the restored copy then lives
 * for the requested days (to midnight UTC) and goes away. The state lives in
 * the version's ext.restore, which the core reads to let GETs through.
 * Intelligent-Tiering objects in an archive tier take no Days: once restored
 * they are back in Frequent Access (ext.tiering loses its archive tier).
 */
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import { AwsError } from "../../../core/errors.js";
import type { ObjectEngine } from "../engine.js";
import type { S3Store, StoredVersion } from "../store.js";
import { INTELLIGENT_TIERING, TIERING, tieringOf } from "../intelligent-tiering/tiers.js";
import { ceilMidnight } from "./evaluate.js";

export const ARCHIVE_CLASSES = new Set(["GLACIER", "DEEP_ARCHIVE"]);
export const RESTORE_DONE_JOB = "s3.restore.complete";
export const RESTORE_EXPIRY_JOB = "s3.restore.expire";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long a restore takes, by class and tier (the upper end of AWS's published ranges). */
const RESTORE_TIME: Record<string, Record<string, number>> = {
  GLACIER: { Expedited: 5 * MINUTE, Standard: 5 * HOUR, Bulk: 12 * HOUR },
  DEEP_ARCHIVE: { Standard: 12 * HOUR, Bulk: 48 * HOUR },
  // Intelligent-Tiering's archive tiers.
  ARCHIVE_ACCESS: { Standard: 5 * HOUR, Bulk: 12 * HOUR },
  DEEP_ARCHIVE_ACCESS: { Standard: 12 * HOUR, Bulk: 48 * HOUR },
};

export interface RestoreState {
  ongoing: boolean;
  tier: string;
  days: number;
  /** Dates come back as ISO strings from the version's JSON. */
  requested: Date | string;
  completes?: Date | string;
  expiry?: Date | string;
}

interface RestoreJob {
  bucket: string;
  key: string;
  versionId: string;
}

export class RestoreService {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: S3Store,
    private readonly engine: ObjectEngine,
  ) {}

  register(): void {
    this.cloud.scheduler.on<RestoreJob>(RESTORE_DONE_JOB, (job) => this.complete(job));
    this.cloud.scheduler.on<RestoreJob>(RESTORE_EXPIRY_JOB, (job) => this.expire(job));
  }

  private jobKey(kind: string, v: { bucket: string; key: string; versionId: string }): string {
    return `${kind}:${JSON.stringify([v.bucket, v.key, v.versionId])}`;
  }

  /** Starts (202) or extends (200) a restore; returns the HTTP status S3 answers. */
  request(version: StoredVersion, days: number | undefined, tier: string | undefined): 200 | 202 {
    if (version.storageClass === INTELLIGENT_TIERING && tieringOf(version).archive) return this.requestTiering(version, days, tier);
    if (!ARCHIVE_CLASSES.has(version.storageClass)) {
      throw new AwsError("InvalidObjectState", "Restore is not allowed for the object's current storage class", { status: 403, fields: { StorageClass: version.storageClass } });
    }
    if (days === undefined) throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });
    if (!Number.isInteger(days) || days < 1) throw new AwsError("InvalidArgument", "Days must be a positive integer", { status: 400, fields: { ArgumentName: "Days", ArgumentValue: String(days) } });
    const chosen = tier ?? "Standard";
    const duration = RESTORE_TIME[version.storageClass][chosen];
    if (duration === undefined) {
      if (!["Standard", "Bulk", "Expedited"].includes(chosen)) throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });
      throw new AwsError("InvalidArgument", `${chosen} retrieval is not supported for the ${version.storageClass} storage class`, { status: 400, fields: { ArgumentName: "Tier", ArgumentValue: chosen } });
    }
    const current = version.ext.restore as RestoreState | undefined;
    const now = this.cloud.clock.now();
    const scope = { account: "", region: "" };
    if (current?.ongoing) {
      throw new AwsError("RestoreAlreadyInProgress", "Object restore is already in progress", { status: 409 });
    }
    if (current && !current.ongoing) {
      const expiry = new Date(ceilMidnight(now + days * DAY));
      this.engine.updateVersion(version, (v) => void (v.ext.restore = { ...current, days, expiry }));
      this.cloud.scheduler.schedule({ kind: RESTORE_EXPIRY_JOB, key: this.jobKey(RESTORE_EXPIRY_JOB, version), due: expiry.getTime(), ...scope, payload: this.payload(version) });
      return 200;
    }
    const completes = new Date(now + duration);
    const state: RestoreState = { ongoing: true, tier: chosen, days, requested: new Date(now), completes };
    this.engine.updateVersion(version, (v) => void (v.ext.restore = state));
    this.cloud.scheduler.schedule({ kind: RESTORE_DONE_JOB, key: this.jobKey(RESTORE_DONE_JOB, version), due: completes.getTime(), ...scope, payload: this.payload(version) });
    return 202;
  }

  /** An Intelligent-Tiering object in an archive tier: back to Frequent Access once the restore completes. */
  private requestTiering(version: StoredVersion, days: number | undefined, tier: string | undefined): 202 {
    const archive = tieringOf(version).archive!;
    if (days !== undefined) {
      throw new AwsError("InvalidArgument", "Days is not allowed when restoring an object from an S3 Intelligent-Tiering archive tier", { status: 400, fields: { ArgumentName: "Days", ArgumentValue: String(days) } });
    }
    const chosen = tier ?? "Standard";
    const duration = RESTORE_TIME[archive][chosen];
    if (duration === undefined) {
      if (!["Standard", "Bulk", "Expedited"].includes(chosen)) throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });
      throw new AwsError("InvalidArgument", `${chosen} retrieval is not supported for the ${archive} tier`, { status: 400, fields: { ArgumentName: "Tier", ArgumentValue: chosen } });
    }
    if ((version.ext.restore as RestoreState | undefined)?.ongoing) throw new AwsError("RestoreAlreadyInProgress", "Object restore is already in progress", { status: 409 });
    const now = this.cloud.clock.now();
    const completes = new Date(now + duration);
    this.engine.updateVersion(version, (v) => void (v.ext.restore = { ongoing: true, tier: chosen, days: 0, requested: new Date(now), completes } satisfies RestoreState));
    this.cloud.scheduler.schedule({ kind: RESTORE_DONE_JOB, key: this.jobKey(RESTORE_DONE_JOB, version), due: completes.getTime(), account: "", region: "", payload: this.payload(version) });
    return 202;
  }

  private payload(v: StoredVersion): RestoreJob {
    return { bucket: v.bucket, key: v.key, versionId: v.versionId };
  }

  private complete(job: Job<RestoreJob>): void {
    const version = this.store.version(job.payload.bucket, job.payload.key, job.payload.versionId);
    const state = version?.ext.restore as RestoreState | undefined;
    if (!version || !state?.ongoing) return;
    if (version.storageClass === INTELLIGENT_TIERING) {
      this.engine.updateVersion(version, (v) => {
        delete v.ext.restore;
        v.ext[TIERING] = { accessed: this.cloud.clock.now() };
      });
      return;
    }
    const expiry = new Date(ceilMidnight(this.cloud.clock.now() + state.days * DAY));
    this.engine.updateVersion(version, (v) => void (v.ext.restore = { ...state, ongoing: false, expiry }));
    this.cloud.scheduler.schedule({ kind: RESTORE_EXPIRY_JOB, key: this.jobKey(RESTORE_EXPIRY_JOB, version), due: expiry.getTime(), account: "", region: "", payload: job.payload });
  }

  private expire(job: Job<RestoreJob>): void {
    const version = this.store.version(job.payload.bucket, job.payload.key, job.payload.versionId);
    const state = version?.ext.restore as RestoreState | undefined;
    if (!version || !state || state.ongoing) return;
    if (state.expiry && new Date(state.expiry).getTime() > this.cloud.clock.now()) return;
    this.engine.updateVersion(version, (v) => void delete v.ext.restore);
  }

  /** The x-amz-restore header of a version, if a restore was requested. */
  header(version: { ext: Record<string, unknown> }): string | undefined {
    const state = version.ext.restore as RestoreState | undefined;
    if (!state) return undefined;
    if (state.ongoing) return 'ongoing-request="true"';
    return `ongoing-request="false", expiry-date="${new Date(state.expiry!).toUTCString()}"`;
  }
}
