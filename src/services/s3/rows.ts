/** S3's metadata rows and the records the rest of the service sees of them. */
import type { BucketRecord, ChecksumRecord, EncryptionRecord, ObjectVersion, ReplicationStatus, VersioningState } from "./hooks.js";

/** A stored run of bytes: blob reference, plaintext length, codec segment number. */
export interface Segment {
  r: string;
  n: number;
  s: number;
}

/** A version as the core keeps it: the public record plus where its bytes are. */
export interface StoredVersion extends ObjectVersion {
  rowId: number;
  segments: Segment[];
}

/** The parts of a version row that are not columns. */
interface VersionMeta {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  websiteRedirectLocation?: string;
  metadata?: Record<string, string>;
  tags?: Array<{ Key: string; Value: string }>;
  checksumValue?: string;
  partsCount?: number;
  encryption?: EncryptionRecord;
  ext?: Record<string, unknown>;
}

export interface VersionRow {
  id: number;
  bucket: string;
  key: string;
  version_id: string;
  is_latest: number;
  delete_marker: number;
  size: number;
  etag: string;
  last_modified: number;
  storage_class: string;
  owner: string;
  checksum_algorithm: string | null;
  checksum_type: string | null;
  replication_status: string | null;
  segments: string;
  meta: string;
}

/** A listing row: what ListObjects/ListObjectVersions print, without parsing meta. */
export interface ListedVersion {
  id: number;
  key: string;
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  size: number;
  etag: string;
  lastModified: number;
  storageClass: string;
  owner: string;
  checksumAlgorithm: string | null;
  checksumType: string | null;
}

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: Date;
  owner: string;
  storageClass: string;
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  websiteRedirectLocation?: string;
  metadata: Record<string, string>;
  tags: Array<{ Key: string; Value: string }>;
  checksumAlgorithm?: string;
  checksumType?: "FULL_OBJECT" | "COMPOSITE";
  encryption?: EncryptionRecord;
  ext: Record<string, unknown>;
}

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  size: number;
  etag: string;
  lastModified: Date;
  blob: string;
  /** base64 checksums by algorithm (CRC32, CRC32C, ...), and the codec segment under "segment". */
  checksums: Record<string, string>;
}

export function rowToVersion(row: VersionRow): StoredVersion {
  const meta = JSON.parse(row.meta) as VersionMeta;
  const checksum: ChecksumRecord | undefined =
    row.checksum_algorithm && meta.checksumValue
      ? { algorithm: row.checksum_algorithm, type: (row.checksum_type ?? "FULL_OBJECT") as ChecksumRecord["type"], value: meta.checksumValue }
      : undefined;
  return {
    rowId: row.id,
    bucket: row.bucket,
    key: row.key,
    versionId: row.version_id,
    isLatest: row.is_latest === 1,
    deleteMarker: row.delete_marker === 1,
    size: row.size,
    etag: row.etag,
    lastModified: new Date(row.last_modified),
    storageClass: row.storage_class,
    owner: row.owner,
    contentType: meta.contentType,
    contentEncoding: meta.contentEncoding,
    contentDisposition: meta.contentDisposition,
    contentLanguage: meta.contentLanguage,
    cacheControl: meta.cacheControl,
    expires: meta.expires,
    websiteRedirectLocation: meta.websiteRedirectLocation,
    metadata: meta.metadata ?? {},
    tags: meta.tags ?? [],
    checksum,
    partsCount: meta.partsCount,
    encryption: meta.encryption,
    replicationStatus: (row.replication_status ?? undefined) as ReplicationStatus | undefined,
    ext: meta.ext ?? {},
    segments: JSON.parse(row.segments) as Segment[],
  };
}

export function versionMeta(v: ObjectVersion): string {
  const meta: VersionMeta = {
    contentType: v.contentType,
    contentEncoding: v.contentEncoding,
    contentDisposition: v.contentDisposition,
    contentLanguage: v.contentLanguage,
    cacheControl: v.cacheControl,
    expires: v.expires,
    websiteRedirectLocation: v.websiteRedirectLocation,
    metadata: Object.keys(v.metadata).length ? v.metadata : undefined,
    tags: v.tags.length ? v.tags : undefined,
    checksumValue: v.checksum?.value,
    partsCount: v.partsCount,
    encryption: v.encryption,
    ext: Object.keys(v.ext).length ? v.ext : undefined,
  };
  return JSON.stringify(meta);
}

export function rowToListed(row: VersionRow): ListedVersion {
  return {
    id: row.id,
    key: row.key,
    versionId: row.version_id,
    isLatest: row.is_latest === 1,
    deleteMarker: row.delete_marker === 1,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    storageClass: row.storage_class,
    owner: row.owner,
    checksumAlgorithm: row.checksum_algorithm,
    checksumType: row.checksum_type,
  };
}

export interface BucketRow {
  name: string;
  account: string;
  region: string;
  created: number;
  versioning: string | null;
  mfa_delete: string | null;
}

export function rowToBucket(row: BucketRow): BucketRecord {
  return {
    name: row.name,
    account: row.account,
    region: row.region,
    created: new Date(row.created),
    versioning: (row.versioning ?? undefined) as VersioningState | undefined,
    mfaDelete: (row.mfa_delete ?? undefined) as BucketRecord["mfaDelete"],
  };
}

export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  owner: string;
  storage_class: string;
  meta: string;
}

export function rowToUpload(row: UploadRow): UploadRecord {
  const meta = JSON.parse(row.meta) as Omit<UploadRecord, "uploadId" | "bucket" | "key" | "initiated" | "owner" | "storageClass">;
  return {
    ...meta,
    metadata: meta.metadata ?? {},
    tags: meta.tags ?? [],
    ext: meta.ext ?? {},
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiated: new Date(row.initiated),
    owner: row.owner,
    storageClass: row.storage_class,
  };
}

export interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  last_modified: number;
  blob: string;
  checksums: string;
}

export function rowToPart(row: PartRow): PartRecord {
  return {
    uploadId: row.upload_id,
    partNumber: row.part_number,
    size: row.size,
    etag: row.etag,
    lastModified: new Date(row.last_modified),
    blob: row.blob,
    checksums: JSON.parse(row.checksums) as Record<string, string>,
  };
}

