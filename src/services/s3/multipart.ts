/**
 * Multipart uploads: parts stream to blobs of their own; completing an
 * upload publishes a version whose segments are those blobs (no bytes are
 * copied), with the md5-of-md5s ETag and full-object or composite checksums.
 */
import { crypto } from "../../core/crypto.js";
import type { Readable } from "node:stream";
import type {
  AbortMultipartUploadOutput,
  AbortMultipartUploadRequest,
  CompleteMultipartUploadOutput,
  CompleteMultipartUploadRequest,
  CreateMultipartUploadOutput,
  CreateMultipartUploadRequest,
  ListMultipartUploadsOutput,
  ListMultipartUploadsRequest,
  ListPartsOutput,
  ListPartsRequest,
  S3Operations,
  UploadPartCopyOutput,
  UploadPartCopyRequest,
  UploadPartOutput,
  UploadPartRequest,
} from "../../generated/s3.js";
import type { CallContext } from "../types.js";
import { S3Base } from "./base.js";
import { PART_CHECKSUMS } from "./object-common.js";
import { bodyClaims, checksumFields, contentHeadersOf, encryptionFields, verifyChunks, writtenVersionId } from "./object-common.js";
import { checksumMember, isChecksumAlgorithm, isCrc, multipartChecksum, type ChecksumAlgorithm } from "./checksums.js";
import { etagMatches, writeCondition } from "./conditions.js";
import { openCopySource } from "./copy.js";
import { MAX_PUT_SIZE, publicVersion, type NewSegment } from "./engine.js";
import { S3Errors } from "./errors.js";
import type { BucketRecord, ObjectCodec } from "./hooks.js";
import type { PartRecord, UploadRecord } from "./store.js";
import { compareKeys } from "./store.js";
import { checkKey, ownerOf, parseTaggingHeader, quoteEtag, sseOf, storageClassOf } from "./validation.js";

const MIN_PART_SIZE = 5 * 1024 * 1024;

type Implemented = Pick<
  S3Operations,
  "CreateMultipartUpload" | "UploadPart" | "UploadPartCopy" | "CompleteMultipartUpload" | "AbortMultipartUpload" | "ListParts" | "ListMultipartUploads"
>;

function commonPrefixOf(key: string, prefix: string, delimiter: string): string | undefined {
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

function newUploadId(): string {
  return crypto().randomBytes(48).toString("base64url");
}

function checkPartNumber(partNumber: number | undefined): number {
  if (partNumber === undefined || !Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
    throw S3Errors.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", String(partNumber));
  }
  return partNumber;
}

/** The version's ext key naming the upload that made it (so a retried Complete can answer). */
const COMPLETED_UPLOAD = "completedUploadId";

export class MultipartOperations extends S3Base implements Implemented {
  private upload(bucket: BucketRecord, key: string, uploadId: string): UploadRecord {
    const upload = this.store.upload(uploadId);
    if (!upload || upload.bucket !== bucket.name || upload.key !== key) throw S3Errors.noSuchUpload(uploadId);
    return upload;
  }

  private async partCodec(bucket: BucketRecord, upload: UploadRecord, input: Record<string, unknown>, ctx: CallContext): Promise<ObjectCodec | undefined> {
    if (!upload.encryption) return undefined;
    return this.hooks.encryption.open({ bucket, key: upload.key, record: upload.encryption, sse: sseOf(input), purpose: "write", operation: ctx.operation, ctx });
  }

  async CreateMultipartUpload(input: CreateMultipartUploadRequest, ctx: CallContext): Promise<CreateMultipartUploadOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, {
      key: input.Key,
      input,
      conditions: { "s3:x-amz-acl": input.ACL, "s3:x-amz-server-side-encryption": input.ServerSideEncryption },
    });
    checkKey(input.Key);
    const storageClass = storageClassOf(input.StorageClass);
    const tags = parseTaggingHeader(input.Tagging);
    let algorithm: ChecksumAlgorithm | undefined;
    let type: "FULL_OBJECT" | "COMPOSITE" | undefined;
    if (input.ChecksumAlgorithm !== undefined) {
      const name = String(input.ChecksumAlgorithm).toUpperCase();
      if (!isChecksumAlgorithm(name)) throw S3Errors.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
      algorithm = name;
      type = (input.ChecksumType as "FULL_OBJECT" | "COMPOSITE" | undefined) ?? (name === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE");
      if (type === "FULL_OBJECT" && !isCrc(name)) throw S3Errors.invalidRequest(`The FULL_OBJECT checksum type cannot be used with the ${name.toLowerCase()} checksum algorithm.`);
      if (type === "COMPOSITE" && name === "CRC64NVME") throw S3Errors.invalidRequest("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.");
    } else if (input.ChecksumType !== undefined) {
      throw S3Errors.invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
    }
    const ext = this.prepareWrite(ctx, bucket, input.Key, input);
    const sealed = await this.hooks.encryption.seal({ bucket, key: input.Key, sse: sseOf(input as never), operation: "CreateMultipartUpload", ctx });
    const upload: UploadRecord = {
      uploadId: newUploadId(),
      bucket: bucket.name,
      key: input.Key,
      initiated: this.cloud.clock.date(),
      owner: ctx.account,
      storageClass,
      ...contentHeadersOf(input as never),
      metadata: input.Metadata ?? {},
      tags,
      checksumAlgorithm: algorithm,
      checksumType: type,
      encryption: sealed?.record,
      ext,
    };
    this.store.insertUpload(upload);
    return {
      Bucket: bucket.name,
      Key: input.Key,
      UploadId: upload.uploadId,
      ChecksumAlgorithm: algorithm as never,
      ChecksumType: type,
      ...encryptionFields(upload.encryption),
    } as CreateMultipartUploadOutput;
  }

  async UploadPart(input: UploadPartRequest, ctx: CallContext): Promise<UploadPartOutput> {
    const body = input.Body as Readable;
    try {
      const bucket = await this.bucketFor(ctx, input.Bucket, { key: input.Key, input });
      const partNumber = checkPartNumber(input.PartNumber);
      const upload = this.upload(bucket, input.Key, input.UploadId);
      const claims = bodyClaims(input as unknown as Record<string, unknown>, ctx, MAX_PUT_SIZE);
      this.prepareWrite(ctx, bucket, input.Key, input, upload.ext);
      if (upload.checksumAlgorithm) {
        if (claims.checksumAlgorithm && claims.checksumAlgorithm !== upload.checksumAlgorithm) {
          throw S3Errors.invalidRequest(
            `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${claims.checksumAlgorithm.toLowerCase()}`,
          );
        }
        claims.checksumAlgorithm = upload.checksumAlgorithm as ChecksumAlgorithm;
      }
      const codec = await this.partCodec(bucket, upload, input as never, ctx);
      verifyChunks(body, ctx, this.cloud);
      const { pending, facts } = await this.engine.ingest(body, claims, codec, partNumber);
      const etag = quoteEtag(facts.md5Hex);
      this.storePart(upload.uploadId, { partNumber, size: facts.size, etag, pending, checksum: facts.checksum });
      return {
        ETag: etag,
        ...(facts.checksum ? checksumFields(facts.checksum.algorithm, facts.checksum.value) : {}),
        ...encryptionFields(upload.encryption),
      } as UploadPartOutput;
    } catch (error) {
      if (!body.readableEnded) body.resume();
      throw error;
    }
  }

  /** Records a part (replacing an earlier upload of the same number), unless the upload went away meanwhile. */
  private storePart(
    uploadId: string,
    part: { partNumber: number; size: number; etag: string; pending: import("./blobs.js").PendingBlob; checksum?: { algorithm: string; value: string } },
  ): PartRecord {
    try {
      return this.engine.transaction(() => {
        if (!this.store.upload(uploadId)) throw S3Errors.noSuchUpload(uploadId);
        const previous = this.store.part(uploadId, part.partNumber);
        if (previous) this.engine.dropSegments([{ r: previous.blob }]);
        const record: PartRecord = {
          uploadId,
          partNumber: part.partNumber,
          size: part.size,
          etag: part.etag,
          lastModified: this.cloud.clock.date(),
          blob: part.pending.commit(),
          checksums: part.checksum ? { [part.checksum.algorithm]: part.checksum.value } : {},
        };
        this.store.putPart(record);
        return record;
      });
    } catch (error) {
      part.pending.discard();
      throw error;
    }
  }

  async UploadPartCopy(input: UploadPartCopyRequest, ctx: CallContext): Promise<UploadPartCopyOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { key: input.Key, input });
    const partNumber = checkPartNumber(input.PartNumber);
    const upload = this.upload(bucket, input.Key, input.UploadId);
    const source = await openCopySource(this, input as unknown as Record<string, unknown>, ctx);
    const size = source.version.size;
    let range = { start: 0, end: size };
    if (input.CopySourceRange !== undefined) {
      const match = /^bytes=(\d+)-(\d+)$/.exec(input.CopySourceRange.trim());
      if (!match) throw S3Errors.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", input.CopySourceRange);
      const start = Number(match[1]);
      const last = Number(match[2]);
      if (last < start || last >= size) throw S3Errors.invalidRange(input.CopySourceRange, size);
      range = { start, end: last + 1 };
    }
    if (range.end - range.start > MAX_PUT_SIZE) throw S3Errors.entityTooLarge(range.end - range.start, MAX_PUT_SIZE);
    const codec = await this.partCodec(bucket, upload, input as never, ctx);
    const { pending, facts } = await this.engine.ingest(
      this.engine.read(source.version, range, source.codec),
      { length: range.end - range.start, maxSize: MAX_PUT_SIZE, checksumAlgorithm: upload.checksumAlgorithm as ChecksumAlgorithm | undefined },
      codec,
      partNumber,
    );
    const etag = quoteEtag(facts.md5Hex);
    const part = this.storePart(upload.uploadId, { partNumber, size: facts.size, etag, pending, checksum: facts.checksum });
    return {
      CopyPartResult: { ETag: etag, LastModified: part.lastModified, ...(facts.checksum ? checksumFields(facts.checksum.algorithm, facts.checksum.value) : {}) },
      CopySourceVersionId: source.bucket.versioning ? source.version.versionId : undefined,
      ...encryptionFields(upload.encryption),
    } as UploadPartCopyOutput;
  }

  async CompleteMultipartUpload(input: CompleteMultipartUploadRequest, ctx: CallContext): Promise<CompleteMultipartUploadOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { key: input.Key, input });
    const requested = input.MultipartUpload?.Parts ?? [];
    if (requested.length === 0) throw S3Errors.malformedXml();
    const check = writeCondition(input.IfMatch, input.IfNoneMatch, input.Key);
    const raw = input as unknown as Record<string, unknown>;
    const version = this.engine.transaction(() => {
      // A retried Complete (same upload, same parts) of an upload that already completed answers as the first one did.
      const completed = this.store.upload(input.UploadId) ? undefined : this.store.latest(bucket.name, input.Key);
      if (completed && !completed.deleteMarker && completed.ext[COMPLETED_UPLOAD] === input.UploadId) {
        const md5s = crypto().createHash("md5");
        for (const wanted of requested) md5s.update(Buffer.from((wanted.ETag ?? "").replace(/"/g, ""), "hex"));
        if (completed.etag === quoteEtag(`${md5s.digest("hex")}-${requested.length}`)) return completed;
      }
      const upload = this.upload(bucket, input.Key, input.UploadId);
      const stored = new Map(this.store.parts(upload.uploadId).map((p) => [p.partNumber, p]));
      const algorithm = upload.checksumAlgorithm as ChecksumAlgorithm | undefined;
      const used: PartRecord[] = [];
      let previous = 0;
      for (const wanted of requested) {
        const number = wanted.PartNumber ?? 0;
        if (number <= previous) throw S3Errors.invalidPartOrder(upload.uploadId);
        previous = number;
        const part = stored.get(number);
        if (!part || !wanted.ETag || !etagMatches(wanted.ETag, part.etag)) throw S3Errors.invalidPart(upload.uploadId, number, wanted.ETag);
        if (algorithm) {
          const given = (wanted as Record<string, unknown>)[checksumMember(algorithm)] as string | undefined;
          if (given !== undefined && given !== part.checksums[algorithm]) throw S3Errors.invalidPart(upload.uploadId, number, wanted.ETag);
        }
        used.push(part);
      }
      for (let i = 0; i < used.length - 1; i++) {
        if (used[i].size < MIN_PART_SIZE) throw S3Errors.entityTooSmall(used[i].size, used[i].partNumber, used[i].etag);
      }
      const size = used.reduce((sum, p) => sum + p.size, 0);
      if (input.MpuObjectSize !== undefined && Number(input.MpuObjectSize) !== size) {
        throw S3Errors.invalidRequest(`The provided 'x-amz-mp-object-size' header value ${input.MpuObjectSize} does not match what was computed: ${size}`);
      }
      const md5s = crypto().createHash("md5");
      for (const part of used) md5s.update(Buffer.from(part.etag.replace(/"/g, ""), "hex"));
      const etag = quoteEtag(`${md5s.digest("hex")}-${used.length}`);
      let checksum: { algorithm: string; type: "FULL_OBJECT" | "COMPOSITE"; value: string } | undefined;
      if (algorithm && upload.checksumType && used.every((p) => p.checksums[algorithm])) {
        const value = multipartChecksum(
          algorithm,
          upload.checksumType,
          used.map((p) => ({ checksum: p.checksums[algorithm], size: p.size })),
        );
        const claimed = raw[checksumMember(algorithm)] as string | undefined;
        if (claimed !== undefined && claimed !== value && claimed !== value.replace(/-\d+$/, "")) throw S3Errors.badChecksum(algorithm);
        checksum = { algorithm, type: upload.checksumType, value };
      }
      const segments: NewSegment[] = used.map((p) => ({ ref: p.blob, size: p.size, segment: p.partNumber }));
      const usedNumbers = new Set(used.map((p) => p.partNumber));
      return this.engine.publish(
        bucket.name,
        input.Key,
        {
          owner: upload.owner,
          storageClass: upload.storageClass,
          contentType: upload.contentType,
          contentEncoding: upload.contentEncoding,
          contentDisposition: upload.contentDisposition,
          contentLanguage: upload.contentLanguage,
          cacheControl: upload.cacheControl,
          expires: upload.expires,
          websiteRedirectLocation: upload.websiteRedirectLocation,
          metadata: upload.metadata,
          tags: upload.tags,
          encryption: upload.encryption,
          ext: {
            ...upload.ext,
            [COMPLETED_UPLOAD]: upload.uploadId,
            ...(checksum ? { [PART_CHECKSUMS]: used.map((p) => p.checksums[checksum!.algorithm as ChecksumAlgorithm]) } : {}),
          },
        },
        { segments, size, etag, checksum, partsCount: used.length },
        {
          cause: "CompleteMultipartUpload",
          ctx,
          check,
          also: () => {
            this.engine.dropSegments([...stored.values()].filter((p) => !usedNumbers.has(p.partNumber)).map((p) => ({ r: p.blob })));
            this.store.deleteUpload(upload.uploadId);
          },
        },
      );
    });
    this.objectExtras(ctx, bucket, publicVersion(version));
    return {
      Location: `http://${bucket.name}.s3.amazonaws.com/${encodeURIComponent(input.Key).replace(/%2F/g, "/")}`,
      Bucket: bucket.name,
      Key: input.Key,
      ETag: version.etag,
      VersionId: writtenVersionId(bucket, version),
      ...(version.checksum ? checksumFields(version.checksum.algorithm, version.checksum.value, version.checksum.type) : {}),
      ...encryptionFields(version.encryption),
    } as CompleteMultipartUploadOutput;
  }

  async AbortMultipartUpload(input: AbortMultipartUploadRequest, ctx: CallContext): Promise<AbortMultipartUploadOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { key: input.Key, input });
    this.engine.transaction(() => {
      const upload = this.upload(bucket, input.Key, input.UploadId);
      this.abort(upload);
    });
    return {};
  }

  /** Drops an upload and its parts (also used by lifecycle's AbortIncompleteMultipartUpload); inside a transaction. */
  abort(upload: UploadRecord): void {
    this.engine.transaction(() => {
      this.engine.dropSegments(this.store.parts(upload.uploadId).map((p) => ({ r: p.blob })));
      this.store.deleteUpload(upload.uploadId);
    });
  }

  async ListParts(input: ListPartsRequest, ctx: CallContext): Promise<ListPartsOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { key: input.Key, input });
    const upload = this.upload(bucket, input.Key, input.UploadId);
    const max = Math.min(input.MaxParts ?? 1000, 1000);
    const marker = Number(input.PartNumberMarker ?? 0) || 0;
    const parts = this.store.partsFrom(upload.uploadId, marker, max + 1);
    const truncated = parts.length > max;
    const page = parts.slice(0, max);
    const algorithm = upload.checksumAlgorithm;
    return {
      Bucket: bucket.name,
      Key: upload.key,
      UploadId: upload.uploadId,
      PartNumberMarker: String(marker) as never,
      NextPartNumberMarker: (page.length ? String(page[page.length - 1].partNumber) : undefined) as never,
      MaxParts: input.MaxParts ?? 1000,
      IsTruncated: truncated,
      Parts: page.map((p) => ({
        PartNumber: p.partNumber,
        LastModified: p.lastModified,
        ETag: p.etag,
        Size: p.size,
        ...(algorithm && p.checksums[algorithm] ? { [checksumMember(algorithm)]: p.checksums[algorithm] } : {}),
      })),
      Initiator: ownerOf(upload.owner),
      Owner: ownerOf(upload.owner),
      StorageClass: upload.storageClass as never,
      ChecksumAlgorithm: algorithm as never,
      ChecksumType: upload.checksumType,
    };
  }

  async ListMultipartUploads(input: ListMultipartUploadsRequest, ctx: CallContext): Promise<ListMultipartUploadsOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, conditions: { "s3:prefix": input.Prefix ?? "" } });
    const max = Math.min(input.MaxUploads ?? 1000, 1000);
    const prefix = input.Prefix ?? "";
    const delimiter = input.Delimiter || undefined;
    const keyMarker = input.KeyMarker ?? "";
    let markerUpload: UploadRecord | undefined;
    if (input.UploadIdMarker && keyMarker) markerUpload = this.store.upload(input.UploadIdMarker);
    const encode = input.EncodingType === "url" ? (v?: string) => (v === undefined ? v : encodeURIComponent(v).replace(/%2F/g, "/")) : (v?: string) => v;
    const uploads: UploadRecord[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let lastPrefix: string | undefined;
    let next: () => UploadRecord[];
    if (prefix && compareKeys(prefix, keyMarker) > 0) next = () => this.store.uploadsFrom(bucket.name, prefix, 500);
    else if (markerUpload && markerUpload.key === keyMarker) next = () => this.store.uploadsAfter(bucket.name, markerUpload!, 500);
    else next = () => this.store.uploadsAfterKey(bucket.name, keyMarker, 500);
    outer: for (;;) {
      const batch = next();
      for (const upload of batch) {
        if (!upload.key.startsWith(prefix)) break outer;
        const cp = delimiter ? commonPrefixOf(upload.key, prefix, delimiter) : undefined;
        if (cp !== undefined && (cp === lastPrefix || compareKeys(cp, keyMarker) <= 0)) continue;
        if (uploads.length + prefixes.length >= max) {
          truncated = true;
          break outer;
        }
        if (cp !== undefined) {
          prefixes.push(cp);
          lastPrefix = cp;
        } else uploads.push(upload);
      }
      if (batch.length < 500) break;
      const last = batch[batch.length - 1];
      next = () => this.store.uploadsAfter(bucket.name, last, 500);
    }
    const lastUpload = uploads[uploads.length - 1];
    return {
      Bucket: bucket.name,
      KeyMarker: encode(keyMarker),
      UploadIdMarker: input.UploadIdMarker ?? "",
      NextKeyMarker: truncated ? encode(lastUpload?.key ?? lastPrefix) : undefined,
      NextUploadIdMarker: truncated ? lastUpload?.uploadId : undefined,
      Prefix: encode(prefix),
      Delimiter: encode(input.Delimiter),
      MaxUploads: input.MaxUploads ?? 1000,
      EncodingType: input.EncodingType,
      IsTruncated: truncated,
      Uploads: uploads.length
        ? uploads.map((u) => ({
            UploadId: u.uploadId,
            Key: encode(u.key),
            Initiated: u.initiated,
            StorageClass: u.storageClass as never,
            Owner: ownerOf(u.owner),
            Initiator: ownerOf(u.owner),
            ChecksumAlgorithm: u.checksumAlgorithm as never,
            ChecksumType: u.checksumType,
          }))
        : undefined,
      CommonPrefixes: prefixes.length ? prefixes.map((p) => ({ Prefix: encode(p) })) : undefined,
    };
  }
}
