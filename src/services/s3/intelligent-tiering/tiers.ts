/**
 * S3 Intelligent-Tiering's access tiers, as S3 moves objects between them:
 * an object starts in Frequent Access; after 30 consecutive days without
 * access it is in Infrequent Access, after 90 in Archive Instant Access;
 * access brings it back to Frequent Access. Objects under 128 KiB are not
 * monitored and stay in Frequent Access. The opt-in archive tiers (Archive
 * Access, Deep Archive Access) are entered by the daily sweep (module.ts);
 * an object there must be restored before it can be read.
 *
 * The state lives in the version's `ext.tiering` — a contract with the core
 * (object-common.ts checkReadable): `{ accessed?: epoch ms, archive?: tier }`.
 */
export const TIERING = "tiering";
export const INTELLIGENT_TIERING = "INTELLIGENT_TIERING";
const DAY = 86_400_000;
/** Objects smaller than this are not monitored (always Frequent Access). */
export const MIN_MONITORED_SIZE = 128 * 1024;

export type ArchiveTier = "ARCHIVE_ACCESS" | "DEEP_ARCHIVE_ACCESS";
/** As S3 Inventory names them (IntelligentTieringAccessTier). */
export type AccessTier = "FREQUENT" | "INFREQUENT" | "ARCHIVE_INSTANT_ACCESS" | ArchiveTier;

export interface TieringState {
  /** Last access that counts (GET, copy source), epoch ms; the version's creation when absent. */
  accessed?: number;
  archive?: ArchiveTier;
}

interface TieredVersion {
  storageClass: string;
  size: number;
  lastModified: Date;
  ext: Record<string, unknown>;
}

export function tieringOf(version: { ext: Record<string, unknown> }): TieringState {
  return (version.ext[TIERING] as TieringState | undefined) ?? {};
}

/** Whole days since the version was last accessed. */
export function idleDays(version: TieredVersion, now: number): number {
  const accessed = tieringOf(version).accessed ?? version.lastModified.getTime();
  return Math.floor((now - accessed) / DAY);
}

/** The access tier an Intelligent-Tiering version is in now. */
export function accessTier(version: TieredVersion, now: number): AccessTier {
  const state = tieringOf(version);
  if (state.archive) return state.archive;
  if (version.size < MIN_MONITORED_SIZE) return "FREQUENT";
  const idle = idleDays(version, now);
  if (idle >= 90) return "ARCHIVE_INSTANT_ACCESS";
  if (idle >= 30) return "INFREQUENT";
  return "FREQUENT";
}

/**
 * The key under which a tier's bytes are measured and billed (metrics/sink.ts
 * STORAGE_TYPE, the price list): INTELLIGENT_TIERING is Frequent Access.
 */
export function tierStorageKey(tier: AccessTier): string {
  switch (tier) {
    case "FREQUENT":
      return "INTELLIGENT_TIERING";
    case "INFREQUENT":
      return "INTELLIGENT_TIERING_IA";
    case "ARCHIVE_INSTANT_ACCESS":
      return "INTELLIGENT_TIERING_AIA";
    case "ARCHIVE_ACCESS":
      return "INTELLIGENT_TIERING_AA";
    case "DEEP_ARCHIVE_ACCESS":
      return "INTELLIGENT_TIERING_DAA";
  }
}
