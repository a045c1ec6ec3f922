/** CopyObject: server-side copies between keys, buckets, regions and versions, streamed. */
import type { CopyObjectOutput, CopyObjectRequest, S3Operations } from "../../generated/s3.js";
import type { CallContext } from "../types.js";
import { S3Base } from "./base.js";
import { isChecksumAlgorithm } from "./checksums.js";
import { checkCopySourceConditions, writeCondition } from "./conditions.js";
import { MAX_PUT_SIZE, publicVersion } from "./engine.js";
import { S3Errors } from "./errors.js";
import type { BucketRecord, ObjectCodec } from "./hooks.js";
import { checkReadable, checksumFields, contentHeadersOf, encryptionFields, parseCopySource, resolveVersion, writtenVersionId } from "./object-common.js";
import type { StoredVersion } from "./store.js";
import { checkKey, copySourceSseOf, parseTaggingHeader, quoteEtag, sseOf, storageClassOf } from "./validation.js";

/** What a copy reads: the source version, its bucket, and how to decrypt it. */
export interface CopySource {
  bucket: BucketRecord;
  version: StoredVersion;
  codec?: ObjectCodec;
}

/** Resolves, authorizes and opens a copy source (CopyObject and UploadPartCopy). */
export async function openCopySource(base: S3Base, input: Record<string, unknown>, ctx: CallContext): Promise<CopySource> {
  const source = parseCopySource(input.CopySource as string);
  const bucket = base.store.bucket(source.bucket);
  if (!bucket) throw S3Errors.noSuchBucket(source.bucket);
  await base.authorize(ctx, bucket, bucket.name, {
    key: source.key,
    versionId: source.versionId,
    action: source.versionId !== undefined ? "s3:GetObjectVersion" : "s3:GetObject",
    input,
  });
  const expected = input.ExpectedSourceBucketOwner as string | undefined;
  if (expected !== undefined && expected !== bucket.account) throw S3Errors.accessDenied();
  let version: StoredVersion;
  try {
    version = resolveVersion(base.store, bucket, source.key, source.versionId, "PUT");
  } catch (error) {
    if ((error as { code?: string }).code === "MethodNotAllowed") {
      throw S3Errors.invalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.");
    }
    throw error;
  }
  checkCopySourceConditions(input, version);
  checkReadable(version);
  base.engine.accessed(bucket, version, ctx.operation, ctx);
  let codec: ObjectCodec | undefined;
  if (version.encryption) {
    codec = await base.hooks.encryption.open({
      bucket,
      key: source.key,
      record: version.encryption,
      sse: copySourceSseOf(input),
      purpose: "read",
      operation: ctx.operation,
      ctx,
    });
  }
  return { bucket, version, codec };
}

export class CopyOperations extends S3Base implements Pick<S3Operations, "CopyObject"> {
  async CopyObject(input: CopyObjectRequest, ctx: CallContext): Promise<CopyObjectOutput> {
    const raw = input as unknown as Record<string, unknown>;
    const bucket = await this.bucketFor(ctx, input.Bucket, {
      key: input.Key,
      input,
      conditions: { "s3:x-amz-acl": input.ACL, "s3:x-amz-copy-source": input.CopySource, "s3:x-amz-metadata-directive": input.MetadataDirective },
    });
    checkKey(input.Key);
    const source = await openCopySource(this, raw, ctx);
    const src = source.version;
    if (src.size > MAX_PUT_SIZE) {
      throw S3Errors.invalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PUT_SIZE}`);
    }
    const metadataDirective = input.MetadataDirective ?? "COPY";
    if (metadataDirective !== "COPY" && metadataDirective !== "REPLACE") throw S3Errors.invalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", metadataDirective);
    const taggingDirective = input.TaggingDirective ?? "COPY";
    if (taggingDirective !== "COPY" && taggingDirective !== "REPLACE") throw S3Errors.invalidArgument("Unknown tagging directive.", "x-amz-tagging-directive", taggingDirective);
    const sse = sseOf(raw);
    const changesEncryption = !!(sse.ServerSideEncryption || sse.SSECustomerAlgorithm || sse.SSEKMSKeyId);
    if (
      source.bucket.name === bucket.name &&
      src.key === input.Key &&
      src.isLatest &&
      metadataDirective === "COPY" &&
      input.StorageClass === undefined &&
      input.WebsiteRedirectLocation === undefined &&
      !changesEncryption
    ) {
      throw S3Errors.invalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const storageClass = storageClassOf(input.StorageClass);
    const check = writeCondition(input.IfMatch, input.IfNoneMatch, input.Key);
    const ext = this.prepareWrite(ctx, bucket, input.Key, input);
    const sealed = await this.hooks.encryption.seal({ bucket, key: input.Key, sse, operation: "CopyObject", ctx });
    const requested = (input.ChecksumAlgorithm as string | undefined)?.toUpperCase();
    const algorithm = requested ?? src.checksum?.algorithm;
    const { pending, facts } = await this.engine.ingest(
      this.engine.read(src, undefined, source.codec),
      { length: src.size, maxSize: MAX_PUT_SIZE, checksumAlgorithm: algorithm && isChecksumAlgorithm(algorithm) ? algorithm : undefined },
      sealed?.codec,
      0,
    );
    const headers =
      metadataDirective === "REPLACE"
        ? contentHeadersOf(raw)
        : {
            contentType: src.contentType,
            contentEncoding: src.contentEncoding,
            contentDisposition: src.contentDisposition,
            contentLanguage: src.contentLanguage,
            cacheControl: src.cacheControl,
            expires: src.expires,
            websiteRedirectLocation: input.WebsiteRedirectLocation ?? src.websiteRedirectLocation,
          };
    const checksum = facts.checksum && { algorithm: facts.checksum.algorithm, type: "FULL_OBJECT" as const, value: facts.checksum.value };
    const version = this.engine.publish(
      bucket.name,
      input.Key,
      {
        owner: ctx.account,
        storageClass,
        ...headers,
        metadata: metadataDirective === "REPLACE" ? input.Metadata ?? {} : { ...src.metadata },
        tags: taggingDirective === "REPLACE" ? parseTaggingHeader(input.Tagging) : [...src.tags],
        encryption: sealed?.record,
        ext,
      },
      { segments: [{ pending, size: facts.size, segment: 0 }], size: facts.size, etag: quoteEtag(facts.md5Hex), checksum },
      { cause: "CopyObject", ctx, check },
    );
    this.objectExtras(ctx, bucket, publicVersion(version));
    return {
      CopyObjectResult: {
        ETag: version.etag,
        LastModified: version.lastModified,
        ...(checksum ? checksumFields(checksum.algorithm, checksum.value, "FULL_OBJECT") : {}),
      },
      VersionId: writtenVersionId(bucket, version),
      CopySourceVersionId: source.bucket.versioning ? src.versionId : undefined,
      ...encryptionFields(version.encryption),
    } as CopyObjectOutput;
  }
}
