/** Object Lock state: the bucket's configuration and a version's lock (kept in `ext.lock`). */

export type LockMode = "GOVERNANCE" | "COMPLIANCE";

export interface StoredLockConfig {
  enabled: true;
  rule?: { mode: LockMode; days?: number; years?: number };
}

/** A version's retention (epoch ms) and legal hold. */
export interface LockState {
  mode?: LockMode;
  until?: number;
  legalHold?: "ON" | "OFF";
}

export function lockOf(version: { ext: Record<string, unknown> }): LockState {
  return (version.ext?.lock as LockState | undefined) ?? {};
}

/** Whether a version may not be removed at `now`: a legal hold, or retention not yet over. */
export function isLocked(lock: LockState, now: number): boolean {
  return lock.legalHold === "ON" || (lock.until !== undefined && lock.until > now);
}

/** When a default retention that starts at `from` ends (years are calendar years). */
export function addRetention(from: number, rule: { days?: number; years?: number }): number {
  if (rule.days !== undefined) return from + rule.days * 86_400_000;
  const date = new Date(from);
  date.setUTCFullYear(date.getUTCFullYear() + (rule.years ?? 0));
  return date.getTime();
}
