/** Objects: PUT, GET, HEAD, DELETE and DeleteObjects. */
import type {
  DeleteObjectOutput,
  DeleteObjectRequest,
  DeleteObjectsOutput,
  DeleteObjectsRequest,
  GetObjectOutput,
  GetObjectRequest,
  HeadObjectOutput,
  HeadObjectRequest,
  PutObjectOutput,
  PutObjectRequest,
  S3Operations,
} from "../../generated/s3.js";
import { isAwsError } from "../../core/errors.js";
import type { CallContext } from "../types.js";
import { S3Base } from "./base.js";
import { checkReadConditions, contentRange, parseRange, writeCondition } from "./conditions.js";
import { MAX_PUT_SIZE, publicVersion, type ByteRange } from "./engine.js";
import { S3Errors } from "./errors.js";
import type { BucketRecord, ObjectCodec } from "./hooks.js";
import {
  bodyClaims,
  checkReadable,
  checkVersionId,
  checksumFields,
  contentHeadersOf,
  describeVersion,
  encryptionFields,
  partChecksum,
  resolveVersion,
  responseOverrides,
  verifyChunks,
  writtenVersionId,
} from "./object-common.js";
import type { StoredVersion } from "./store.js";
import { checkKey, parseTaggingHeader, quoteEtag, sseOf, storageClassOf } from "./validation.js";

type Implemented = Pick<S3Operations, "PutObject" | "GetObject" | "HeadObject" | "DeleteObject" | "DeleteObjects">;

export class ObjectOperations extends S3Base implements Implemented {
  async PutObject(input: PutObjectRequest, ctx: CallContext): Promise<PutObjectOutput> {
    const body = input.Body as import("node:stream").Readable;
    try {
      const bucket = await this.bucketFor(ctx, input.Bucket, {
        key: input.Key,
        input,
        conditions: { "s3:x-amz-acl": input.ACL, "s3:x-amz-server-side-encryption": input.ServerSideEncryption },
      });
      checkKey(input.Key);
      const storageClass = storageClassOf(input.StorageClass);
      const tags = parseTaggingHeader(input.Tagging);
      const claims = bodyClaims(input as unknown as Record<string, unknown>, ctx, MAX_PUT_SIZE);
      const check = writeCondition(input.IfMatch, input.IfNoneMatch, input.Key);
      const ext = this.prepareWrite(ctx, bucket, input.Key, input);
      const sealed = await this.hooks.encryption.seal({ bucket, key: input.Key, sse: sseOf(input as never), operation: "PutObject", ctx });
      verifyChunks(body, ctx, this.cloud);
      const { pending, facts } = await this.engine.ingest(body, claims, sealed?.codec, 0);
      const checksum = facts.checksum && { algorithm: facts.checksum.algorithm, type: "FULL_OBJECT" as const, value: facts.checksum.value };
      const version = await this.engine.batched(() => this.engine.publish(
        bucket.name,
        input.Key,
        {
          owner: ctx.account,
          storageClass,
          ...contentHeadersOf(input as never),
          metadata: input.Metadata ?? {},
          tags,
          encryption: sealed?.record,
          ext,
        },
        { segments: [{ pending, size: facts.size, segment: 0 }], size: facts.size, etag: quoteEtag(facts.md5Hex), checksum },
        { cause: "PutObject", ctx, check },
      ));
      this.objectExtras(ctx, bucket, publicVersion(version));
      return {
        ETag: version.etag,
        VersionId: writtenVersionId(bucket, version),
        Size: version.size,
        ...(checksum ? checksumFields(checksum.algorithm, checksum.value, "FULL_OBJECT") : {}),
        ...encryptionFields(version.encryption),
      } as PutObjectOutput;
    } catch (error) {
      if (!body.readableEnded) body.resume();
      throw error;
    }
  }

  async GetObject(input: GetObjectRequest, ctx: CallContext): Promise<GetObjectOutput> {
    const { bucket, version, codec } = await this.readable(input, ctx, "GET");
    const out = describeVersion(version, bucket, input.ChecksumMode === "ENABLED");
    let range: ByteRange | undefined;
    if (input.PartNumber !== undefined) {
      if (input.Range) throw S3Errors.invalidRequest("Cannot specify both Range header and partNumber query parameter");
      range = this.partRange(version, input.PartNumber);
      out.PartsCount = version.partsCount;
    } else {
      range = parseRange(input.Range, version.size);
    }
    if (range) {
      out.ContentRange = contentRange(range, version.size);
      out.ContentLength = range.end - range.start;
      if (range.end - range.start !== version.size && out.ChecksumType !== undefined) {
        for (const name of Object.keys(out)) if (name.startsWith("Checksum")) delete out[name];
      }
      if (input.PartNumber !== undefined) this.partChecksumFields(version, input.PartNumber, input.ChecksumMode === "ENABLED", out);
    }
    responseOverrides(input as never, out);
    this.objectExtras(ctx, bucket, publicVersion(version));
    this.engine.accessed(bucket, version, "GetObject", ctx);
    // Last: an open read holds its file (and byte-thread slots) until it is consumed or destroyed.
    out.Body = this.engine.read(version, range, codec);
    return out as GetObjectOutput;
  }

  async HeadObject(input: HeadObjectRequest, ctx: CallContext): Promise<HeadObjectOutput> {
    const { bucket, version } = await this.readable(input, ctx, "HEAD");
    const out = describeVersion(version, bucket, input.ChecksumMode === "ENABLED");
    if (input.PartNumber !== undefined) {
      const range = this.partRange(version, input.PartNumber);
      out.PartsCount = version.partsCount;
      out.ContentRange = contentRange(range, version.size);
      out.ContentLength = range.end - range.start;
      if (range.end - range.start !== version.size) for (const name of Object.keys(out)) if (name.startsWith("Checksum")) delete out[name];
      this.partChecksumFields(version, input.PartNumber, input.ChecksumMode === "ENABLED", out);
    } else if (input.Range) {
      const range = parseRange(input.Range, version.size);
      if (range) {
        out.ContentRange = contentRange(range, version.size);
        out.ContentLength = range.end - range.start;
      }
    }
    responseOverrides(input as never, out);
    this.objectExtras(ctx, bucket, publicVersion(version));
    return out as HeadObjectOutput;
  }

  /** Resolves, authorizes and opens the version a GET or HEAD names, checking its conditions. */
  private async readable(
    input: GetObjectRequest | HeadObjectRequest,
    ctx: CallContext,
    method: "GET" | "HEAD",
  ): Promise<{ bucket: BucketRecord; version: StoredVersion; codec?: ObjectCodec }> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { key: input.Key, versionId: input.VersionId, input });
    // Reads take no SSE-S3/SSE-KMS headers: S3 refuses them with 400 (only SSE-C keys are sent to read).
    const sse = ctx.request.headers["x-amz-server-side-encryption"];
    if (sse !== undefined) {
      throw S3Errors.invalidArgument("x-amz-server-side-encryption header is not supported for this operation.", "x-amz-server-side-encryption", String(sse));
    }
    const version = resolveVersion(this.store, bucket, input.Key, input.VersionId, method);
    let codec: ObjectCodec | undefined;
    if (version.encryption) {
      codec = await this.hooks.encryption.open({
        bucket,
        key: input.Key,
        record: version.encryption,
        sse: sseOf(input as never),
        purpose: method === "GET" ? "read" : "head",
        operation: ctx.operation,
        ctx,
      });
    }
    checkReadConditions(input, version);
    if (method === "GET") checkReadable(version);
    return { bucket, version, codec };
  }

  /** A part read of a multipart object with checksums answers with that part's checksum. */
  private partChecksumFields(version: StoredVersion, partNumber: number, checksumMode: boolean, out: Record<string, unknown>): void {
    const value = partChecksum(version, partNumber);
    if (!checksumMode || !version.checksum || value === undefined) return;
    Object.assign(out, checksumFields(version.checksum.algorithm, value, version.checksum.type));
  }

  private partRange(version: StoredVersion, partNumber: number): ByteRange {
    if (partNumber < 1 || partNumber > 10000) {
      throw S3Errors.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", String(partNumber));
    }
    if (!version.partsCount) {
      if (partNumber !== 1) throw S3Errors.invalidPartNumber();
      return { start: 0, end: version.size };
    }
    let offset = 0;
    for (let i = 0; i < version.segments.length; i++) {
      const size = version.segments[i].n;
      if (i + 1 === partNumber) return { start: offset, end: offset + size };
      offset += size;
    }
    throw S3Errors.invalidPartNumber();
  }

  async DeleteObject(input: DeleteObjectRequest, ctx: CallContext): Promise<DeleteObjectOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { key: input.Key, versionId: input.VersionId, input });
    checkKey(input.Key);
    checkVersionId(input.VersionId);
    const result = await this.engine.batched(() => this.engine.delete(bucket.name, input.Key, input.VersionId, "DeleteObject", ctx));
    return { DeleteMarker: result.deleteMarker || undefined, VersionId: result.versionId };
  }

  async DeleteObjects(input: DeleteObjectsRequest, ctx: CallContext): Promise<DeleteObjectsOutput> {
    const bucket = this.store.bucket(input.Bucket);
    if (!bucket) throw S3Errors.noSuchBucket(input.Bucket);
    const objects = input.Delete?.Objects ?? [];
    if (objects.length === 0 || objects.length > 1000) throw S3Errors.malformedXml();
    const deleted: NonNullable<DeleteObjectsOutput["Deleted"]> = [];
    const errors: NonNullable<DeleteObjectsOutput["Errors"]> = [];
    // Every key is checked, then all deletes share one group commit (each in its own savepoint).
    const outcomes = await Promise.all(
      objects.map(async (object) => {
        try {
          if (object.Key === undefined) throw S3Errors.malformedXml();
          await this.bucketFor(ctx, bucket.name, { key: object.Key, versionId: object.VersionId, input, action: object.VersionId ? "s3:DeleteObjectVersion" : "s3:DeleteObject" });
          checkKey(object.Key);
          checkVersionId(object.VersionId);
          return { object, result: await this.engine.batched(() => this.engine.delete(bucket.name, object.Key!, object.VersionId, "DeleteObjects", ctx)) };
        } catch (error) {
          if (!isAwsError(error) || error.status >= 500) throw error;
          return { object, error };
        }
      }),
    );
    for (const { object, result, error } of outcomes as Array<{ object: (typeof objects)[number]; result?: { versionId?: string; deleteMarker: boolean }; error?: import("../../core/errors.js").AwsError }>) {
      if (error) {
        errors.push({ Key: object.Key, VersionId: object.VersionId, Code: error.code, Message: error.message });
        continue;
      }
      if (input.Delete!.Quiet) continue;
      deleted.push(
        object.VersionId !== undefined
          ? { Key: object.Key, VersionId: object.VersionId, DeleteMarker: result!.deleteMarker || undefined, DeleteMarkerVersionId: result!.deleteMarker ? object.VersionId : undefined }
          : { Key: object.Key, DeleteMarker: result!.deleteMarker || undefined, DeleteMarkerVersionId: result!.deleteMarker ? result!.versionId : undefined },
      );
    }
    return { Deleted: deleted.length ? deleted : undefined, Errors: errors.length ? errors : undefined };
  }
}
