/**
 * Applies a bucket's lifecycle rules, the way S3 does: once a day, as the
 * clock passes midnight UTC, every version and incomplete upload is checked
 * against the rules and what is due happens (transitions, expirations with
 * delete markers when versioned, noncurrent transitions and expirations,
 * expired delete markers, aborted uploads).
 *
 * A sweep is cheap when nothing can be due: the runner remembers the earliest
 * time anything becomes due per bucket, and any write to the bucket marks it
 * for a full pass at the next midnight.
 */
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import { isAwsError } from "../../../core/errors.js";
import type { ObjectEngine } from "../engine.js";
import type { S3Provider } from "../provider.js";
import type { S3Store, StoredVersion } from "../store.js";
import { INTELLIGENT_TIERING, TIERING } from "../intelligent-tiering/tiers.js";
import { ARCHIVE_CLASSES } from "./restore.js";
import type { LifecycleConfig } from "./config.js";
import { abortDue, evaluateVersion, nextMidnight, type LifecycleAction, type VersionFacts } from "./evaluate.js";

export const SWEEP_JOB = "s3.lifecycle.sweep";
const DAY = 86_400_000;
const PAGE = 500;

export class LifecycleRunner {
  /** Buckets written to since their last full pass. */
  private readonly dirty = new Set<string>();
  /** The earliest time something may become due, per bucket (unknown after a restart: full pass). */
  private readonly nextDue = new Map<string, number>();

  constructor(
    private readonly s3: S3Provider,
    private readonly config: (bucket: string) => LifecycleConfig | undefined,
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

  jobKey(bucket: string): string {
    return `${SWEEP_JOB}:${bucket}`;
  }

  /** (Re)arms the bucket's daily sweep at the next midnight UTC. */
  arm(bucket: string, account: string, region: string): void {
    this.cloud.scheduler.schedule({ kind: SWEEP_JOB, key: this.jobKey(bucket), due: nextMidnight(this.cloud.clock.now()), account, region, payload: { bucket } });
  }

  disarm(bucket: string): void {
    this.cloud.scheduler.cancel(this.jobKey(bucket));
    this.dirty.delete(bucket);
    this.nextDue.delete(bucket);
  }

  touched(bucket: string): void {
    this.dirty.add(bucket);
  }

  reset(): void {
    this.dirty.clear();
    this.nextDue.clear();
  }

  async run(job: Job<{ bucket: string }>): Promise<void> {
    const name = job.payload.bucket;
    const config = this.config(name);
    const bucket = this.store.bucket(name);
    if (!config || !bucket) return;
    this.sweep(name, config);
    this.arm(name, bucket.account, bucket.region);
  }

  /** One pass over a bucket at the current time. */
  sweep(bucket: string, config: LifecycleConfig): void {
    const now = this.cloud.clock.now();
    for (const upload of this.store.uploadsOfBucket(bucket)) {
      const due = abortDue(config, { key: upload.key, initiated: upload.initiated.getTime() });
      if (due && due.due <= now) this.s3.abortUpload(upload);
    }
    const known = this.nextDue.get(bucket);
    if (!this.dirty.has(bucket) && known !== undefined && known > now) return;
    this.dirty.delete(bucket);
    let earliest = Infinity;
    let after = "";
    let first = true;
    for (;;) {
      const rows = this.store.versionsFrom(bucket, after, PAGE, first);
      first = false;
      if (rows.length === 0) break;
      const keys = [...new Set(rows.map((r) => r.key))];
      for (const key of keys) earliest = Math.min(earliest, this.sweepKey(bucket, key, config, now));
      after = keys[keys.length - 1];
      if (rows.length < PAGE) break;
    }
    this.nextDue.set(bucket, earliest);
  }

  /** Applies what is due to one key's versions; returns when the next action may be due. */
  private sweepKey(bucket: string, key: string, config: LifecycleConfig, now: number): number {
    const refused = new Set<number>();
    for (let round = 0; round < 8; round++) {
      const versions = this.store.versionsOfKey(bucket, key);
      if (versions.length === 0) return Infinity;
      let next = Infinity;
      let acted = false;
      for (let i = 0; i < versions.length; i++) {
        if (refused.has(versions[i].rowId)) {
          next = Math.min(next, now + DAY);
          continue;
        }
        const verdict = evaluateVersion(config, facts(versions, i), now);
        if (verdict.action) {
          if (this.apply(bucket, versions[i], verdict.action)) {
            acted = true;
            break;
          }
          // Refused (an Object Lock retention or legal hold): try again at the next sweep.
          refused.add(versions[i].rowId);
          next = Math.min(next, now + DAY);
          continue;
        }
        if (verdict.nextDue !== undefined) next = Math.min(next, verdict.nextDue);
      }
      if (!acted) return next;
    }
    return now;
  }

  /** Applies one action; false when a listener refused the removal (Object Lock). */
  private apply(bucket: string, version: StoredVersion, action: LifecycleAction): boolean {
    try {
      this.applyAction(bucket, version, action);
      return true;
    } catch (error) {
      if (isAwsError(error) && error.status === 403) return false;
      throw error;
    }
  }

  private applyAction(bucket: string, version: StoredVersion, action: LifecycleAction): void {
    switch (action.kind) {
      case "expire":
        this.engine.delete(bucket, version.key, undefined, "Lifecycle");
        break;
      case "delete-version":
        this.engine.delete(bucket, version.key, version.versionId, "Lifecycle");
        break;
      case "transition":
        this.engine.updateVersion(version, (v) => {
          v.storageClass = action.storageClass;
          if (ARCHIVE_CLASSES.has(action.storageClass)) delete v.ext.restore;
          // Objects enter Intelligent-Tiering in Frequent Access.
          if (action.storageClass === INTELLIGENT_TIERING) v.ext[TIERING] = { accessed: this.cloud.clock.now() };
          else delete v.ext[TIERING];
        });
        break;
    }
  }
}

/** What the rules look at for versions[i] of a key (newest first). */
function facts(versions: StoredVersion[], i: number): VersionFacts {
  const v = versions[i];
  return {
    key: v.key,
    size: v.size,
    tags: v.tags,
    storageClass: v.storageClass,
    created: v.lastModified.getTime(),
    isLatest: i === 0,
    deleteMarker: v.deleteMarker,
    noncurrentSince: i > 0 ? versions[i - 1].lastModified.getTime() : undefined,
    newerNoncurrent: i > 0 ? i - 1 : undefined,
    onlyVersion: versions.length === 1,
  };
}
