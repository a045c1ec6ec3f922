/**
 * Listings: ListObjectsV2, ListObjects (v1) and ListObjectVersions, with
 * prefix, delimiter (common prefixes), markers and continuation tokens, in
 * UTF-8 byte order. Each page walks an index from its cursor; a run of keys
 * under one common prefix costs a single seek past it.
 */
import type {
  ListObjectVersionsOutput,
  ListObjectVersionsRequest,
  ListObjectsOutput,
  ListObjectsRequest,
  ListObjectsV2Output,
  ListObjectsV2Request,
  S3Operations,
} from "../../generated/s3.js";
import type { CallContext } from "../types.js";
import { S3Base } from "./base.js";
import { isValidVersionId } from "./engine.js";
import { S3Errors } from "./errors.js";
import { compareKeys, prefixSuccessor, type ListedVersion, type S3Store } from "./store.js";
import { ownerOf } from "./validation.js";

const BATCH = 256;

export interface Page {
  entries: ListedVersion[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned. */
  last?: string;
}

/** The common prefix a key rolls up into, if any. */
function commonPrefix(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

/** Current objects after `startAfter` (exclusive) under `prefix`, rolled up by `delimiter`. */
export function listCurrent(store: S3Store, bucket: string, prefix: string, delimiter: string | undefined, startAfter: string, max: number): Page {
  const page: Page = { entries: [], prefixes: [], truncated: false };
  const upper = prefix ? prefixSuccessor(prefix) : undefined;
  let from = startAfter;
  let inclusive = false;
  if (prefix && compareKeys(prefix, startAfter) > 0) {
    from = prefix;
    inclusive = true;
  }
  for (;;) {
    const batch = inclusive ? store.currentObjects(bucket, from, undefined, BATCH, true) : store.currentObjects(bucket, from, upper, BATCH);
    let reseek = false;
    for (let i = 0; i < batch.length; i++) {
      const row = batch[i];
      if (!row.key.startsWith(prefix)) return page;
      const cp = commonPrefix(row.key, prefix, delimiter);
      if (cp !== undefined) {
        if (compareKeys(cp, startAfter) > 0) {
          if (page.entries.length + page.prefixes.length >= max) return { ...page, truncated: true };
          page.prefixes.push(cp);
          page.last = cp;
        }
        while (i + 1 < batch.length && batch[i + 1].key.startsWith(cp)) i++;
        if (i + 1 < batch.length) continue;
        const next = prefixSuccessor(cp);
        if (next === undefined) return page;
        from = next;
        inclusive = true;
        reseek = true;
        break;
      }
      if (page.entries.length + page.prefixes.length >= max) return { ...page, truncated: true };
      page.entries.push(row);
      page.last = row.key;
      from = row.key;
      inclusive = false;
    }
    if (!reseek && batch.length < BATCH) return page;
  }
}

export interface VersionPage extends Page {
  /** Version id of the last version returned (for NextVersionIdMarker). */
  lastVersionId?: string;
}

/** Versions and delete markers after (keyMarker, versionIdMarker), newest first within a key. */
export function listVersions(
  store: S3Store,
  bucket: string,
  prefix: string,
  delimiter: string | undefined,
  keyMarker: string,
  afterRowId: number | undefined,
  max: number,
): VersionPage {
  const page: VersionPage = { entries: [], prefixes: [], truncated: false };
  let key = keyMarker;
  let rowBefore = afterRowId;
  let inclusive = false;
  if (prefix && compareKeys(prefix, keyMarker) > 0) {
    key = prefix;
    inclusive = true;
    rowBefore = undefined;
  }
  const count = () => page.entries.length + page.prefixes.length;
  for (;;) {
    let batch: ListedVersion[] = [];
    if (rowBefore !== undefined) batch = store.versionsOfKeyBefore(bucket, key, rowBefore, BATCH);
    const sameKeyBatch = batch.length > 0;
    if (!sameKeyBatch) batch = store.versionsFrom(bucket, key, BATCH, inclusive);
    if (batch.length === 0) return page;
    let reseek = false;
    for (let i = 0; i < batch.length; i++) {
      const row = batch[i];
      if (!row.key.startsWith(prefix)) return page;
      const cp = commonPrefix(row.key, prefix, delimiter);
      if (cp !== undefined) {
        if (compareKeys(cp, keyMarker) > 0) {
          if (count() >= max) return { ...page, truncated: true };
          page.prefixes.push(cp);
          page.last = cp;
          page.lastVersionId = undefined;
        }
        const next = prefixSuccessor(cp);
        if (next === undefined) return page;
        key = next;
        inclusive = true;
        rowBefore = undefined;
        reseek = true;
        break;
      }
      if (count() >= max) return { ...page, truncated: true };
      page.entries.push(row);
      page.last = row.key;
      page.lastVersionId = row.versionId;
      key = row.key;
      rowBefore = row.id;
      inclusive = false;
    }
    if (reseek) continue;
    if (batch.length < BATCH && !sameKeyBatch) return page;
    if (batch.length < BATCH && sameKeyBatch) rowBefore = undefined;
  }
}

/** encoding-type=url: keys and prefixes URL-encoded ('/' kept), as S3 returns them. */
function encoder(encodingType: string | undefined): (value: string | undefined) => string | undefined {
  if (encodingType === undefined) return (v) => v;
  if (encodingType !== "url") throw S3Errors.invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encodingType);
  return (v) => (v === undefined ? undefined : encodeURIComponent(v).replace(/%2F/g, "/"));
}

function checkMaxKeys(value: number | undefined): number {
  if (value === undefined) return 1000;
  if (value < 0) throw S3Errors.invalidArgument("Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys", String(value));
  return Math.min(value, 1000);
}

function decodeToken(token: string): string {
  const text = Buffer.from(token, "base64url").toString("utf8");
  if (!text.startsWith("v1:")) throw S3Errors.invalidToken();
  return text.slice(3);
}

function encodeToken(last: string): string {
  return Buffer.from("v1:" + last, "utf8").toString("base64url");
}

type Implemented = Pick<S3Operations, "ListObjectsV2" | "ListObjects" | "ListObjectVersions">;

export class ListingOperations extends S3Base implements Implemented {
  private listConditions(input: { Prefix?: string; Delimiter?: string; MaxKeys?: number }) {
    return { "s3:prefix": input.Prefix ?? "", "s3:delimiter": input.Delimiter, "s3:max-keys": input.MaxKeys?.toString() };
  }

  async ListObjectsV2(input: ListObjectsV2Request, ctx: CallContext): Promise<ListObjectsV2Output> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, conditions: this.listConditions(input) });
    const encode = encoder(input.EncodingType);
    const max = checkMaxKeys(input.MaxKeys);
    const prefix = input.Prefix ?? "";
    const delimiter = input.Delimiter || undefined;
    let after = input.StartAfter ?? "";
    // An empty token is no token (S3 echoes it and lists from the start).
    if (input.ContinuationToken) after = decodeToken(input.ContinuationToken);
    const page = listCurrent(this.store, bucket.name, prefix, delimiter, after, max);
    const owner = input.FetchOwner ? ownerOf(bucket.account) : undefined;
    return {
      Name: bucket.name,
      Prefix: encode(prefix),
      Delimiter: delimiter === undefined ? undefined : encode(delimiter),
      MaxKeys: input.MaxKeys ?? 1000,
      EncodingType: input.EncodingType,
      KeyCount: page.entries.length + page.prefixes.length,
      // max-keys=0 asks for nothing, and S3 does not call that truncated.
      IsTruncated: max > 0 && page.truncated,
      ContinuationToken: input.ContinuationToken,
      NextContinuationToken: page.truncated && page.last !== undefined ? encodeToken(page.last) : undefined,
      StartAfter: encode(input.StartAfter),
      Contents: page.entries.length
        ? page.entries.map((row) => ({
            Key: encode(row.key),
            LastModified: new Date(row.lastModified),
            ETag: row.etag,
            Size: row.size,
            StorageClass: row.storageClass as never,
            ChecksumAlgorithm: row.checksumAlgorithm ? [row.checksumAlgorithm as never] : undefined,
            ChecksumType: (row.checksumType ?? undefined) as never,
            Owner: owner,
          }))
        : undefined,
      CommonPrefixes: page.prefixes.length ? page.prefixes.map((p) => ({ Prefix: encode(p) })) : undefined,
    };
  }

  async ListObjects(input: ListObjectsRequest, ctx: CallContext): Promise<ListObjectsOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, conditions: this.listConditions(input) });
    const encode = encoder(input.EncodingType);
    const max = checkMaxKeys(input.MaxKeys);
    const prefix = input.Prefix ?? "";
    const delimiter = input.Delimiter || undefined;
    const page = listCurrent(this.store, bucket.name, prefix, delimiter, input.Marker ?? "", max);
    const owner = ownerOf(bucket.account);
    return {
      Name: bucket.name,
      Prefix: encode(prefix),
      Delimiter: delimiter === undefined ? undefined : encode(delimiter),
      Marker: encode(input.Marker ?? ""),
      MaxKeys: input.MaxKeys ?? 1000,
      EncodingType: input.EncodingType,
      // max-keys=0 asks for nothing, and S3 does not call that truncated.
      IsTruncated: max > 0 && page.truncated,
      NextMarker: page.truncated && delimiter ? encode(page.last) : undefined,
      Contents: page.entries.length
        ? page.entries.map((row) => ({
            Key: encode(row.key),
            LastModified: new Date(row.lastModified),
            ETag: row.etag,
            Size: row.size,
            StorageClass: row.storageClass as never,
            Owner: owner,
          }))
        : undefined,
      CommonPrefixes: page.prefixes.length ? page.prefixes.map((p) => ({ Prefix: encode(p) })) : undefined,
    };
  }

  async ListObjectVersions(input: ListObjectVersionsRequest, ctx: CallContext): Promise<ListObjectVersionsOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, conditions: this.listConditions(input) });
    const encode = encoder(input.EncodingType);
    const max = checkMaxKeys(input.MaxKeys);
    const prefix = input.Prefix ?? "";
    const delimiter = input.Delimiter || undefined;
    const keyMarker = input.KeyMarker ?? "";
    let afterRowId: number | undefined;
    if (input.VersionIdMarker !== undefined && input.VersionIdMarker !== "") {
      if (!input.KeyMarker) throw S3Errors.invalidArgument("A version-id marker cannot be specified without a key marker.", "version-id-marker", input.VersionIdMarker);
      if (!isValidVersionId(input.VersionIdMarker)) throw S3Errors.invalidArgument("Invalid version id specified", "version-id-marker", input.VersionIdMarker);
      // A marker version deleted since the previous page (a client emptying a bucket page by
      // page) still marks a place: the key's remaining versions, then the keys after it.
      const marker = this.store.version(bucket.name, keyMarker, input.VersionIdMarker);
      afterRowId = marker ? marker.rowId : Number.MAX_SAFE_INTEGER;
    }
    const page = listVersions(this.store, bucket.name, prefix, delimiter, keyMarker, afterRowId, max);
    const owner = ownerOf(bucket.account);
    const versions = page.entries.filter((r) => !r.deleteMarker);
    const markers = page.entries.filter((r) => r.deleteMarker);
    return {
      Name: bucket.name,
      Prefix: encode(prefix),
      Delimiter: delimiter === undefined ? undefined : encode(delimiter),
      KeyMarker: encode(keyMarker),
      VersionIdMarker: input.VersionIdMarker ?? "",
      MaxKeys: input.MaxKeys ?? 1000,
      EncodingType: input.EncodingType,
      // max-keys=0 asks for nothing, and S3 does not call that truncated.
      IsTruncated: max > 0 && page.truncated,
      NextKeyMarker: page.truncated ? encode(page.last) : undefined,
      NextVersionIdMarker: page.truncated ? page.lastVersionId : undefined,
      Versions: versions.length
        ? versions.map((row) => ({
            Key: encode(row.key),
            VersionId: row.versionId,
            IsLatest: row.isLatest,
            LastModified: new Date(row.lastModified),
            ETag: row.etag,
            Size: row.size,
            StorageClass: row.storageClass as never,
            ChecksumAlgorithm: row.checksumAlgorithm ? [row.checksumAlgorithm as never] : undefined,
            ChecksumType: (row.checksumType ?? undefined) as never,
            Owner: owner,
          }))
        : undefined,
      DeleteMarkers: markers.length
        ? markers.map((row) => ({ Key: encode(row.key), VersionId: row.versionId, IsLatest: row.isLatest, LastModified: new Date(row.lastModified), Owner: owner }))
        : undefined,
      CommonPrefixes: page.prefixes.length ? page.prefixes.map((p) => ({ Prefix: encode(p) })) : undefined,
    };
  }
}
