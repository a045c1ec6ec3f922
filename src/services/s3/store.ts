/**
 * S3 metadata on SQLite: buckets, object versions, multipart uploads and
 * parts, inline bytes of small objects, and the blob journal. Rows only; the
 * rules live in the engine and the operation modules.
 *
 * Keys are TEXT with SQLite's BINARY collation, which compares UTF-8 bytes:
 * exactly S3's listing order. Every listing query walks an index from a
 * cursor, so a page costs O(page · log n), never O(bucket).
 */
import { statements, type Database, type Sql } from "../../state/database.js";
import type { BucketRecord, VersioningState } from "./hooks.js";
import {
  rowToBucket,
  rowToListed,
  rowToPart,
  rowToUpload,
  rowToVersion,
  versionMeta,
  type BucketRow,
  type ListedVersion,
  type PartRecord,
  type PartRow,
  type Segment,
  type StoredVersion,
  type UploadRecord,
  type UploadRow,
  type VersionRow,
} from "./rows.js";

export type { ListedVersion, PartRecord, Segment, StoredVersion, UploadRecord } from "./rows.js";

const MIGRATIONS = [
  `CREATE TABLE s3_buckets (
     name TEXT PRIMARY KEY,
     account TEXT NOT NULL,
     region TEXT NOT NULL,
     created INTEGER NOT NULL,
     versioning TEXT,
     mfa_delete TEXT);
   CREATE INDEX s3_buckets_account ON s3_buckets (account, name);

   CREATE TABLE s3_versions (
     id INTEGER PRIMARY KEY,
     bucket TEXT NOT NULL,
     key TEXT NOT NULL,
     version_id TEXT NOT NULL,
     is_latest INTEGER NOT NULL,
     delete_marker INTEGER NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     storage_class TEXT NOT NULL,
     owner TEXT NOT NULL,
     checksum_algorithm TEXT,
     checksum_type TEXT,
     replication_status TEXT,
     segments TEXT NOT NULL,
     meta TEXT NOT NULL);
   CREATE INDEX s3_versions_order ON s3_versions (bucket, key, id DESC);
   CREATE UNIQUE INDEX s3_versions_id ON s3_versions (bucket, key, version_id);
   CREATE INDEX s3_versions_current ON s3_versions (bucket, key) WHERE is_latest = 1 AND delete_marker = 0;

   CREATE TABLE s3_uploads (
     upload_id TEXT PRIMARY KEY,
     bucket TEXT NOT NULL,
     key TEXT NOT NULL,
     initiated INTEGER NOT NULL,
     owner TEXT NOT NULL,
     storage_class TEXT NOT NULL,
     meta TEXT NOT NULL);
   CREATE INDEX s3_uploads_order ON s3_uploads (bucket, key, initiated, upload_id);

   CREATE TABLE s3_parts (
     upload_id TEXT NOT NULL,
     part_number INTEGER NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     blob TEXT NOT NULL,
     checksums TEXT NOT NULL,
     PRIMARY KEY (upload_id, part_number));

   CREATE TABLE s3_inline (id INTEGER PRIMARY KEY, data BLOB NOT NULL);

   CREATE TABLE s3_blob_journal (blob TEXT PRIMARY KEY, state TEXT NOT NULL);`,
];

const LISTED_COLUMNS = "id, key, version_id, is_latest, delete_marker, size, etag, last_modified, storage_class, owner, checksum_algorithm, checksum_type";

export class S3Store {
  readonly sql: Sql;
  private readonly s;
  /** Buckets change rarely and are read by every request. */
  private readonly bucketCache = new Map<string, BucketRecord>();

  constructor(private readonly db: Database) {
    db.migrate("s3", MIGRATIONS);
    const sql = (this.sql = db.sql);
    this.s = statements(sql, {
      bucketGet: "SELECT * FROM s3_buckets WHERE name = ?",
      bucketInsert: "INSERT INTO s3_buckets (name, account, region, created, versioning, mfa_delete) VALUES (?, ?, ?, ?, NULL, NULL)",
      bucketDelete: "DELETE FROM s3_buckets WHERE name = ?",
      bucketVersioning: "UPDATE s3_buckets SET versioning = ?, mfa_delete = COALESCE(?, mfa_delete) WHERE name = ?",
      bucketsOf: "SELECT * FROM s3_buckets WHERE account = ? AND name > ? ORDER BY name LIMIT ?",
      bucketsAll: "SELECT * FROM s3_buckets ORDER BY name",
      bucketHasVersions: "SELECT 1 FROM s3_versions WHERE bucket = ? LIMIT 1",
      bucketHasUploads: "SELECT 1 FROM s3_uploads WHERE bucket = ? LIMIT 1",

      latest: "SELECT * FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY id DESC LIMIT 1",
      byVersionId: "SELECT * FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = ?",
      insertVersion:
        `INSERT INTO s3_versions (bucket, key, version_id, is_latest, delete_marker, size, etag, last_modified, storage_class, owner,
           checksum_algorithm, checksum_type, replication_status, segments, meta)
         VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      clearLatest: "UPDATE s3_versions SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1",
      promoteNewest: "UPDATE s3_versions SET is_latest = 1 WHERE id = (SELECT id FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY id DESC LIMIT 1)",
      deleteVersionRow: "DELETE FROM s3_versions WHERE id = ?",
      updateVersion: "UPDATE s3_versions SET storage_class = ?, replication_status = ?, meta = ? WHERE id = ?",
      versionById: "SELECT * FROM s3_versions WHERE id = ?",

      currentRange: `SELECT ${LISTED_COLUMNS} FROM s3_versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 AND key > ? AND key < ? ORDER BY key LIMIT ?`,
      currentFrom: `SELECT ${LISTED_COLUMNS} FROM s3_versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 AND key > ? ORDER BY key LIMIT ?`,
      currentAtOrAfter: `SELECT ${LISTED_COLUMNS} FROM s3_versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 AND key >= ? ORDER BY key LIMIT ?`,
      versionsRange: `SELECT ${LISTED_COLUMNS} FROM s3_versions WHERE bucket = ? AND key > ? ORDER BY key, id DESC LIMIT ?`,
      versionsAtOrAfter: `SELECT ${LISTED_COLUMNS} FROM s3_versions WHERE bucket = ? AND key >= ? ORDER BY key, id DESC LIMIT ?`,
      versionsOfKeyBefore: `SELECT ${LISTED_COLUMNS} FROM s3_versions WHERE bucket = ? AND key = ? AND id < ? ORDER BY id DESC LIMIT ?`,
      versionsOfKey: "SELECT * FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY id DESC",
      versionsAfterRow: "SELECT * FROM s3_versions WHERE bucket = ? AND id > ? ORDER BY id LIMIT ?",

      uploadInsert: "INSERT INTO s3_uploads (upload_id, bucket, key, initiated, owner, storage_class, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
      uploadGet: "SELECT * FROM s3_uploads WHERE upload_id = ?",
      uploadDelete: "DELETE FROM s3_uploads WHERE upload_id = ?",
      uploadsFrom: "SELECT * FROM s3_uploads WHERE bucket = ? AND key >= ? ORDER BY key, initiated, upload_id LIMIT ?",
      uploadsAfterKey: "SELECT * FROM s3_uploads WHERE bucket = ? AND key > ? ORDER BY key, initiated, upload_id LIMIT ?",
      uploadsAfter: "SELECT * FROM s3_uploads WHERE bucket = ? AND (key, initiated, upload_id) > (?, ?, ?) ORDER BY key, initiated, upload_id LIMIT ?",
      uploadsOfBucket: "SELECT * FROM s3_uploads WHERE bucket = ? ORDER BY key, initiated, upload_id",
      partUpsert: 
        `INSERT INTO s3_parts (upload_id, part_number, size, etag, last_modified, blob, checksums) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
           last_modified = excluded.last_modified, blob = excluded.blob, checksums = excluded.checksums`,
      partGet: "SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?",
      partsFrom: "SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
      partsAll: "SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number",
      partsDelete: "DELETE FROM s3_parts WHERE upload_id = ?",

      inlineInsert: "INSERT INTO s3_inline (data) VALUES (?)",
      inlineGet: "SELECT data FROM s3_inline WHERE id = ?",
      inlineDelete: "DELETE FROM s3_inline WHERE id = ?",

      journalPut: "INSERT INTO s3_blob_journal (blob, state) VALUES (?, ?) ON CONFLICT (blob) DO UPDATE SET state = excluded.state",
      journalDelete: "DELETE FROM s3_blob_journal WHERE blob = ?",
      journalAll: "SELECT blob, state FROM s3_blob_journal",
    });
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  // Buckets -----------------------------------------------------------------

  /** A bucket record; callers must not change it (it is shared by the cache). */
  bucket(name: string): BucketRecord | undefined {
    const cached = this.bucketCache.get(name);
    if (cached) return cached;
    const row = this.s.bucketGet.get(name) as BucketRow | undefined;
    if (!row) return undefined;
    const bucket = rowToBucket(row);
    // Reads inside a transaction may see uncommitted rows; only cache what is committed.
    if (!this.sql.inTransaction) this.bucketCache.set(name, bucket);
    return bucket;
  }

  insertBucket(bucket: BucketRecord): void {
    this.bucketCache.delete(bucket.name);
    this.s.bucketInsert.run(bucket.name, bucket.account, bucket.region, bucket.created.getTime());
  }

  deleteBucket(name: string): void {
    this.bucketCache.delete(name);
    this.s.bucketDelete.run(name);
  }

  setVersioning(name: string, state: VersioningState, mfaDelete?: string): void {
    this.bucketCache.delete(name);
    this.s.bucketVersioning.run(state, mfaDelete ?? null, name);
  }

  /** After a reset wiped the tables. */
  clearCache(): void {
    this.bucketCache.clear();
  }

  /** An account's buckets after `afterName`, by name. */
  bucketsOf(account: string, afterName: string, limit: number): BucketRecord[] {
    return (this.s.bucketsOf.all(account, afterName, limit) as BucketRow[]).map(rowToBucket);
  }

  allBuckets(): BucketRecord[] {
    return (this.s.bucketsAll.all() as BucketRow[]).map(rowToBucket);
  }

  bucketIsEmpty(name: string): boolean {
    return !this.s.bucketHasVersions.get(name);
  }

  bucketHasUploads(name: string): boolean {
    return !!this.s.bucketHasUploads.get(name);
  }

  // Versions ----------------------------------------------------------------

  latest(bucket: string, key: string): StoredVersion | undefined {
    const row = this.s.latest.get(bucket, key) as VersionRow | undefined;
    return row && rowToVersion(row);
  }

  version(bucket: string, key: string, versionId: string): StoredVersion | undefined {
    const row = this.s.byVersionId.get(bucket, key, versionId) as VersionRow | undefined;
    return row && rowToVersion(row);
  }

  versionByRowId(rowId: number): StoredVersion | undefined {
    const row = this.s.versionById.get(rowId) as VersionRow | undefined;
    return row && rowToVersion(row);
  }

  /** Every version of a key, newest first. */
  versionsOfKey(bucket: string, key: string): StoredVersion[] {
    return (this.s.versionsOfKey.all(bucket, key) as VersionRow[]).map(rowToVersion);
  }

  /** Inserts a version as the key's latest (the caller removes or demotes the previous one first). */
  insertVersion(v: Omit<StoredVersion, "rowId" | "isLatest">, keyHasVersions = true): number {
    if (keyHasVersions) this.s.clearLatest.run(v.bucket, v.key);
    const result = this.s.insertVersion.run(
      v.bucket,
      v.key,
      v.versionId,
      v.deleteMarker ? 1 : 0,
      v.size,
      v.etag,
      v.lastModified.getTime(),
      v.storageClass,
      v.owner,
      v.checksum?.algorithm ?? null,
      v.checksum?.type ?? null,
      v.replicationStatus ?? null,
      JSON.stringify(v.segments),
      versionMeta({ ...v, isLatest: true }),
    );
    return Number(result.lastInsertRowid);
  }

  /** Removes a version row; when it was the latest, the next newest becomes latest. */
  removeVersion(v: StoredVersion): void {
    this.s.deleteVersionRow.run(v.rowId);
    if (v.isLatest) this.s.promoteNewest.run(v.bucket, v.key);
  }

  /** Rewrites the mutable parts of a version (storage class, replication status, tags, ext...). */
  updateVersion(v: StoredVersion): void {
    this.s.updateVersion.run(v.storageClass, v.replicationStatus ?? null, versionMeta(v), v.rowId);
  }

  /** Current (latest, not deleted) objects with key > after and key < before, by key. */
  currentObjects(bucket: string, after: string, before: string | undefined, limit: number, inclusive = false): ListedVersion[] {
    let rows: VersionRow[];
    if (before !== undefined && !inclusive) rows = this.s.currentRange.all(bucket, after, before, limit) as VersionRow[];
    else if (inclusive) rows = this.s.currentAtOrAfter.all(bucket, after, limit) as VersionRow[];
    else rows = this.s.currentFrom.all(bucket, after, limit) as VersionRow[];
    return rows.map(rowToListed);
  }

  /** Versions (and delete markers) by key, newest first within a key, starting after `afterKey` (or at it, inclusive). */
  versionsFrom(bucket: string, afterKey: string, limit: number, inclusive = false): ListedVersion[] {
    const stmt = inclusive ? this.s.versionsAtOrAfter : this.s.versionsRange;
    return (stmt.all(bucket, afterKey, limit) as VersionRow[]).map(rowToListed);
  }

  /** The versions of `key` older than row `beforeRowId`, newest first. */
  versionsOfKeyBefore(bucket: string, key: string, beforeRowId: number, limit: number): ListedVersion[] {
    return (this.s.versionsOfKeyBefore.all(bucket, key, beforeRowId, limit) as VersionRow[]).map(rowToListed);
  }

  /** Every version in a bucket in row (write) order after `afterRowId`: for scans that must visit everything (lifecycle). */
  scanVersions(bucket: string, afterRowId: number, limit: number): StoredVersion[] {
    return (this.s.versionsAfterRow.all(bucket, afterRowId, limit) as VersionRow[]).map(rowToVersion);
  }

  // Multipart -----------------------------------------------------------------

  insertUpload(u: UploadRecord): void {
    const { uploadId, bucket, key, initiated, owner, storageClass, ...meta } = u;
    this.s.uploadInsert.run(uploadId, bucket, key, initiated.getTime(), owner, storageClass, JSON.stringify(meta));
  }

  upload(uploadId: string): UploadRecord | undefined {
    const row = this.s.uploadGet.get(uploadId) as UploadRow | undefined;
    return row && rowToUpload(row);
  }

  deleteUpload(uploadId: string): void {
    this.s.partsDelete.run(uploadId);
    this.s.uploadDelete.run(uploadId);
  }

  uploadsFrom(bucket: string, fromKey: string, limit: number): UploadRecord[] {
    return (this.s.uploadsFrom.all(bucket, fromKey, limit) as UploadRow[]).map(rowToUpload);
  }

  uploadsAfterKey(bucket: string, key: string, limit: number): UploadRecord[] {
    return (this.s.uploadsAfterKey.all(bucket, key, limit) as UploadRow[]).map(rowToUpload);
  }

  /** Uploads after `after` in (key, initiated, upload id) order. */
  uploadsAfter(bucket: string, after: UploadRecord, limit: number): UploadRecord[] {
    return (this.s.uploadsAfter.all(bucket, after.key, after.initiated.getTime(), after.uploadId, limit) as UploadRow[]).map(rowToUpload);
  }

  uploadsOfBucket(bucket: string): UploadRecord[] {
    return (this.s.uploadsOfBucket.all(bucket) as UploadRow[]).map(rowToUpload);
  }

  putPart(p: PartRecord): void {
    this.s.partUpsert.run(p.uploadId, p.partNumber, p.size, p.etag, p.lastModified.getTime(), p.blob, JSON.stringify(p.checksums));
  }

  part(uploadId: string, partNumber: number): PartRecord | undefined {
    const row = this.s.partGet.get(uploadId, partNumber) as PartRow | undefined;
    return row && rowToPart(row);
  }

  partsFrom(uploadId: string, afterPart: number, limit: number): PartRecord[] {
    return (this.s.partsFrom.all(uploadId, afterPart, limit) as PartRow[]).map(rowToPart);
  }

  parts(uploadId: string): PartRecord[] {
    return (this.s.partsAll.all(uploadId) as PartRow[]).map(rowToPart);
  }

  // Bytes ---------------------------------------------------------------------

  insertInline(data: Buffer): number {
    return Number(this.s.inlineInsert.run(data).lastInsertRowid);
  }

  inline(id: number): Buffer | undefined {
    return (this.s.inlineGet.get(id) as { data: Buffer } | undefined)?.data;
  }

  deleteInline(id: number): void {
    this.s.inlineDelete.run(id);
  }

  journal(blob: string, state: "writing" | "dead"): void {
    this.s.journalPut.run(blob, state);
  }

  unjournal(blob: string): void {
    this.s.journalDelete.run(blob);
  }

  journalEntries(): Array<{ blob: string; state: string }> {
    return this.s.journalAll.all() as Array<{ blob: string; state: string }>;
  }
}

/** Compares keys in UTF-8 byte order (S3's order; JS's < compares UTF-16 units). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * The smallest string greater than every string that starts with `prefix`, in
 * UTF-8 byte order: the prefix with its last code point incremented.
 * Undefined when no such string exists (empty prefix, or all U+10FFFF).
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      let next = last + 1;
      if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
      return points.join("") + String.fromCodePoint(next);
    }
  }
  return undefined;
}
