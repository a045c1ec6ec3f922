/**
 * EBS Snapshots Archive: ModifySnapshotTier moves a completed snapshot to the
 * archive tier (archival takes ARCHIVE_MS of the clock; the snapshot stays
 * usable meanwhile), where it is stored full — every block, not the
 * increment — at the archive price, for 90 days at least, and cannot be
 * restored to a volume, copied or shared. RestoreSnapshotTier brings it back
 * after RESTORE_MS: permanently (standard tier again) or for
 * TemporaryRestoreDays (usable until RestoreExpiryTime, then archived again).
 * DescribeSnapshotTierStatus reports the last tiering operation.
 */
import type { Cloud } from "../../cloud.js";
import type { Job } from "../../clock/scheduler.js";
import type { SnapshotTierStatus, TieringOperationStatus } from "../../generated/ec2.js";
import type { Scope } from "../../state/documents.js";
import type { Ec2Link } from "./ec2-link.js";
import { VolumeErrors } from "./errors.js";
import type { EbsSnapshot } from "./records.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How long archiving takes in Stratus. */
export const ARCHIVE_MS = HOUR;
/** How long a restore takes in Stratus (AWS: up to 72 hours). */
export const RESTORE_MS = 24 * HOUR;
/** Archived snapshots are billed for 90 days at least. */
export const MINIMUM_ARCHIVE_MS = 90 * DAY;

const JOB_ARCHIVED = "ebs:snapshot-archived";
const JOB_RESTORED = "ebs:snapshot-restored";
const JOB_EXPIRED = "ebs:snapshot-restore-expired";

/** The last tiering operation of a snapshot (internal). */
export interface Tiering {
  status: TieringOperationStatus;
  /** Epoch ms the operation started and ends (its progress runs between). */
  start: number;
  end: number;
  /** Epoch ms the snapshot's archival completed (it entered the archive tier). */
  archivedAt?: number;
  /** Temporary restores: their length in days. */
  days?: number;
}

export type TieredSnapshot = EbsSnapshot & { _tiering?: Tiering };

/** Whether volumes can be created from (and copies made of) the snapshot now: not while it is archived, unless temporarily restored. */
export function usableTier(snapshot: EbsSnapshot): boolean {
  if (snapshot.StorageTier !== "archive") return true;
  return (snapshot as TieredSnapshot)._tiering?.status === "temporary-restore-completed";
}

interface TierJob {
  snapshotId: string;
}

export class SnapshotTiers {
  /** A snapshot leaves the archive tier for good (a permanent restore): billing charges the rest of its 90 days. */
  onLeaveArchive: (scope: Scope, snapshot: EbsSnapshot, now: number) => void = () => undefined;

  constructor(
    private readonly cloud: Cloud,
    private readonly ec2: Ec2Link,
  ) {}

  onStart(): void {
    const on = (kind: string, handle: (scope: Scope, snapshot: TieredSnapshot) => void) =>
      this.cloud.scheduler.on<TierJob>(kind, (job: Job<TierJob>) => {
        const scope = { account: job.account, region: job.region };
        const snapshot = this.ec2.snapshots(scope).get(job.payload.snapshotId) as TieredSnapshot | undefined;
        if (snapshot) handle(scope, snapshot);
      });
    on(JOB_ARCHIVED, (scope, s) => this.finishArchival(scope, s));
    on(JOB_RESTORED, (scope, s) => this.finishRestore(scope, s));
    on(JOB_EXPIRED, (scope, s) => this.expireRestore(scope, s));
  }


  /** ModifySnapshotTier. */
  archive(scope: Scope, snapshot: TieredSnapshot, imagesUsing: string[]): { SnapshotId: string; TieringStartTime: Date } {
    const id = snapshot.SnapshotId!;
    if (snapshot.OwnerId !== scope.account) throw VolumeErrors.snapshotNotFound([id]);
    if (snapshot.State !== "completed") throw VolumeErrors.snapshotState(id, snapshot.State ?? "pending");
    if (snapshot.StorageTier === "archive" || snapshot._tiering?.status === "archival-in-progress") {
      throw VolumeErrors.invalidParameterCombination(`The snapshot ${id} is already archived or being archived.`);
    }
    if (snapshot._tiering?.status.endsWith("restore-in-progress")) throw VolumeErrors.snapshotState(id, snapshot._tiering.status);
    if (imagesUsing.length) throw VolumeErrors.snapshotInUse(id, imagesUsing[0]);
    const now = this.cloud.clock.now();
    this.update(scope, id, (s) => {
      s._tiering = { status: "archival-in-progress", start: now, end: now + ARCHIVE_MS };
    });
    this.schedule(JOB_ARCHIVED, scope, id, now + ARCHIVE_MS);
    return { SnapshotId: id, TieringStartTime: new Date(now) };
  }

  private finishArchival(scope: Scope, snapshot: TieredSnapshot): void {
    if (snapshot._tiering?.status !== "archival-in-progress") return;
    const now = this.cloud.clock.now();
    this.update(scope, snapshot.SnapshotId!, (s) => {
      s.StorageTier = "archive";
      s._tiering = { ...s._tiering!, status: "archival-completed", archivedAt: now };
      // Archived snapshots cannot be shared.
      delete s._createVolumePermissions;
    });
  }

  /** RestoreSnapshotTier: temporary (for days) or permanent; a temporary one already restored gets a new period. */
  restore(scope: Scope, snapshot: TieredSnapshot, request: { temporaryRestoreDays?: number; permanent?: boolean }) {
    const id = snapshot.SnapshotId!;
    if (snapshot.OwnerId !== scope.account) throw VolumeErrors.snapshotNotFound([id]);
    const permanent = request.permanent === true;
    const days = request.temporaryRestoreDays;
    if (permanent && days !== undefined) throw VolumeErrors.invalidParameterCombination("You can't specify both TemporaryRestoreDays and PermanentRestore.");
    if (!permanent && days === undefined) throw VolumeErrors.missingParameter("TemporaryRestoreDays");
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 180)) {
      throw VolumeErrors.invalidParameterValue(`Value (${days}) for parameter TemporaryRestoreDays is invalid. It must be between 1 and 180.`);
    }
    const tiering = snapshot._tiering;
    if (snapshot.StorageTier !== "archive") throw VolumeErrors.snapshotState(id, tiering?.status ?? "standard tier");
    const now = this.cloud.clock.now();
    // A temporary restore already done: only its period changes (or it becomes permanent).
    if (tiering?.status === "temporary-restore-completed") {
      if (permanent) {
        this.onLeaveArchive(scope, snapshot, now);
        this.update(scope, id, (s) => {
          s.StorageTier = "standard";
          delete s.RestoreExpiryTime;
          s._tiering = { ...tiering, status: "permanent-restore-completed", start: now, end: now };
        });
        this.cloud.scheduler.cancel(`${JOB_EXPIRED}:${id}`);
        return { SnapshotId: id, RestoreStartTime: new Date(now), IsPermanentRestore: true };
      }
      const expiry = now + days! * DAY;
      this.update(scope, id, (s) => {
        s.RestoreExpiryTime = new Date(expiry);
        s._tiering = { ...tiering, days };
      });
      this.schedule(JOB_EXPIRED, scope, id, expiry);
      return { SnapshotId: id, RestoreStartTime: new Date(tiering.start), RestoreDuration: days, IsPermanentRestore: false };
    }
    if (tiering?.status.endsWith("restore-in-progress")) throw VolumeErrors.snapshotState(id, tiering.status);
    this.update(scope, id, (s) => {
      s._tiering = { ...tiering!, status: permanent ? "permanent-restore-in-progress" : "temporary-restore-in-progress", start: now, end: now + RESTORE_MS, days };
    });
    this.schedule(JOB_RESTORED, scope, id, now + RESTORE_MS);
    return { SnapshotId: id, RestoreStartTime: new Date(now), RestoreDuration: days, IsPermanentRestore: permanent };
  }

  private finishRestore(scope: Scope, snapshot: TieredSnapshot): void {
    const tiering = snapshot._tiering;
    const now = this.cloud.clock.now();
    if (tiering?.status === "permanent-restore-in-progress") {
      this.onLeaveArchive(scope, snapshot, now);
      this.update(scope, snapshot.SnapshotId!, (s) => {
        s.StorageTier = "standard";
        s._tiering = { ...tiering, status: "permanent-restore-completed" };
      });
    } else if (tiering?.status === "temporary-restore-in-progress") {
      const expiry = now + (tiering.days ?? 1) * DAY;
      this.update(scope, snapshot.SnapshotId!, (s) => {
        s.RestoreExpiryTime = new Date(expiry);
        s._tiering = { ...tiering, status: "temporary-restore-completed" };
      });
      this.schedule(JOB_EXPIRED, scope, snapshot.SnapshotId!, expiry);
    }
  }

  private expireRestore(scope: Scope, snapshot: TieredSnapshot): void {
    const expiry = snapshot.RestoreExpiryTime ? new Date(snapshot.RestoreExpiryTime).getTime() : 0;
    if (snapshot._tiering?.status !== "temporary-restore-completed" || expiry > this.cloud.clock.now()) return;
    this.update(scope, snapshot.SnapshotId!, (s) => {
      delete s.RestoreExpiryTime;
      s._tiering = { ...s._tiering!, status: "archival-completed" };
    });
  }

  /** DescribeSnapshotTierStatus's entry for a snapshot. */
  status(snapshot: TieredSnapshot): SnapshotTierStatus {
    const t = snapshot._tiering;
    const now = this.cloud.clock.now();
    const progress = t ? (t.end <= t.start ? 100 : Math.max(0, Math.min(100, Math.floor(((now - t.start) / (t.end - t.start)) * 100)))) : undefined;
    return {
      SnapshotId: snapshot.SnapshotId,
      VolumeId: snapshot.VolumeId,
      Status: snapshot.State,
      OwnerId: snapshot.OwnerId,
      Tags: snapshot.Tags,
      StorageTier: snapshot.StorageTier ?? "standard",
      LastTieringStartTime: t ? new Date(t.start) : undefined,
      LastTieringProgress: progress,
      LastTieringOperationStatus: t?.status,
      ArchivalCompleteTime: t?.archivedAt !== undefined ? new Date(t.archivedAt) : undefined,
      RestoreExpiryTime: snapshot.RestoreExpiryTime,
    };
  }

  /** When the snapshot entered the archive tier, if it is there (billing, the 90-day minimum). */
  archivedAt(snapshot: TieredSnapshot): number | undefined {
    return snapshot.StorageTier === "archive" ? snapshot._tiering?.archivedAt : undefined;
  }

  /** A deleted snapshot's jobs go. */
  forget(snapshotId: string): void {
    for (const kind of [JOB_ARCHIVED, JOB_RESTORED, JOB_EXPIRED]) this.cloud.scheduler.cancel(`${kind}:${snapshotId}`);
  }

  private update(scope: Scope, id: string, change: (s: TieredSnapshot) => void): void {
    this.ec2.snapshots(scope).update(id, (s) => change(s as TieredSnapshot));
  }

  private schedule(kind: string, scope: Scope, snapshotId: string, due: number): void {
    this.cloud.scheduler.schedule<TierJob>({ kind, key: `${kind}:${snapshotId}`, due, ...scope, payload: { snapshotId } });
  }
}
