/**
 * The bytes each bucket holds in each Intelligent-Tiering access tier now,
 * for the daily storage metrics (BucketSizeBytes per StorageType) and the
 * storage S3 bills per tier.
 */
import type { Sql } from "../../../state/database.js";
import { accessTier, tierStorageKey, type ArchiveTier } from "./tiers.js";

interface Row {
  bucket: string;
  size: number;
  lastModified: number;
  accessed: number | null;
  archive: ArchiveTier | null;
}

/** bucket → tier key (INTELLIGENT_TIERING, INTELLIGENT_TIERING_IA…) → bytes. */
export function intelligentTieringBytes(sql: Sql, now: number): Map<string, Map<string, number>> {
  const rows = sql
    .prepare(
      `SELECT bucket, size, last_modified AS lastModified, json_extract(meta, '$.ext.tiering.accessed') AS accessed,
              json_extract(meta, '$.ext.tiering.archive') AS archive
       FROM s3_versions WHERE storage_class = 'INTELLIGENT_TIERING' AND delete_marker = 0`,
    )
    .iterate() as IterableIterator<Row>;
  const out = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const ext = { tiering: { accessed: row.accessed ?? undefined, archive: row.archive ?? undefined } };
    const key = tierStorageKey(accessTier({ storageClass: "INTELLIGENT_TIERING", size: row.size, lastModified: new Date(row.lastModified), ext }, now));
    let tiers = out.get(row.bucket);
    if (!tiers) out.set(row.bucket, (tiers = new Map()));
    tiers.set(key, (tiers.get(key) ?? 0) + row.size);
  }
  return out;
}
