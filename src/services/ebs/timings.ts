/**
 * How long EBS operations take on the clock. Real EBS needs seconds for a
 * volume and minutes for a snapshot; Stratus keeps the same states but
 * shorter durations, so that `aws ec2 wait ...` usually sees the end state on
 * its first poll. Snapshots take longer the more bytes they store.
 */
export const VOLUME_CREATE_MS = 500;
export const VOLUME_ATTACH_MS = 300;
export const VOLUME_DETACH_MS = 300;
/** A modification: "modifying" this long, then "optimizing" as long again, then "completed". */
export const VOLUME_MODIFY_MS = 2_000;
export const SNAPSHOT_BASE_MS = 500;
/** Snapshot and copy throughput: 64 MiB of stored blocks per second. */
export const SNAPSHOT_BYTES_PER_MS = (64 * 1024 * 1024) / 1000;
/** A snapshot opened with the EBS direct API fails if not completed within its Timeout (minutes). */
export const DIRECT_SNAPSHOT_DEFAULT_TIMEOUT_MIN = 60;

export function snapshotDuration(bytes: number): number {
  return SNAPSHOT_BASE_MS + Math.ceil(bytes / SNAPSHOT_BYTES_PER_MS);
}
