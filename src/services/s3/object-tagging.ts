/** Object tags and GetObjectAttributes. */
import type {
  DeleteObjectTaggingOutput,
  DeleteObjectTaggingRequest,
  GetObjectAttributesOutput,
  GetObjectAttributesRequest,
  GetObjectTaggingOutput,
  GetObjectTaggingRequest,
  PutObjectTaggingOutput,
  PutObjectTaggingRequest,
  S3Operations,
} from "../../generated/s3.js";
import type { CallContext } from "../types.js";
import { S3Base } from "./base.js";
import { S3Errors } from "./errors.js";
import type { BucketRecord } from "./hooks.js";
import { checksumMember } from "./checksums.js";
import { checksumFields, partChecksum, resolveVersion } from "./object-common.js";
import type { StoredVersion } from "./store.js";
import { checkTags, sseOf } from "./validation.js";

type Implemented = Pick<S3Operations, "GetObjectTagging" | "PutObjectTagging" | "DeleteObjectTagging" | "GetObjectAttributes">;

export class TaggingOperations extends S3Base implements Implemented {
  private async target(input: { Bucket: string; Key: string; VersionId?: string }, ctx: CallContext): Promise<{ bucket: BucketRecord; version: StoredVersion }> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { key: input.Key, versionId: input.VersionId, input });
    return { bucket, version: resolveVersion(this.store, bucket, input.Key, input.VersionId, ctx.request.method) };
  }

  async GetObjectTagging(input: GetObjectTaggingRequest, ctx: CallContext): Promise<GetObjectTaggingOutput> {
    const { bucket, version } = await this.target(input, ctx);
    return { TagSet: version.tags, VersionId: bucket.versioning ? version.versionId : undefined };
  }

  async PutObjectTagging(input: PutObjectTaggingRequest, ctx: CallContext): Promise<PutObjectTaggingOutput> {
    const { bucket, version } = await this.target(input, ctx);
    if (!input.Tagging?.TagSet) throw S3Errors.malformedXml();
    const tags = checkTags(input.Tagging.TagSet);
    this.engine.updateVersion(version, (v) => void (v.tags = tags));
    return { VersionId: bucket.versioning ? version.versionId : undefined };
  }

  async DeleteObjectTagging(input: DeleteObjectTaggingRequest, ctx: CallContext): Promise<DeleteObjectTaggingOutput> {
    const { bucket, version } = await this.target(input, ctx);
    this.engine.updateVersion(version, (v) => void (v.tags = []));
    return { VersionId: bucket.versioning ? version.versionId : undefined };
  }

  async GetObjectAttributes(input: GetObjectAttributesRequest, ctx: CallContext): Promise<GetObjectAttributesOutput> {
    const { bucket, version } = await this.target(input, ctx);
    // Like HEAD, an SSE-C object's attributes need its key.
    if (version.encryption?.SSECustomerAlgorithm) {
      await this.hooks.encryption.open({ bucket, key: input.Key, record: version.encryption, sse: sseOf(input as never), purpose: "head", operation: ctx.operation, ctx });
    }
    const wanted = new Set((input.ObjectAttributes ?? []).map((a) => String(a)));
    if (wanted.size === 0) throw S3Errors.invalidArgument("Invalid attribute name specified.", "x-amz-object-attributes", "");
    const out: Record<string, unknown> = {
      LastModified: version.lastModified,
      VersionId: bucket.versioning ? version.versionId : undefined,
    };
    if (wanted.has("ETag")) out.ETag = version.etag.replace(/"/g, "");
    if (wanted.has("StorageClass")) out.StorageClass = version.storageClass;
    if (wanted.has("ObjectSize")) out.ObjectSize = version.size;
    if (wanted.has("Checksum") && version.checksum) out.Checksum = checksumFields(version.checksum.algorithm, version.checksum.value, version.checksum.type);
    if (wanted.has("ObjectParts") && version.partsCount) {
      // Parts in pages of MaxParts (default 1000) after PartNumberMarker, with their sizes and checksums.
      const max = input.MaxParts ?? 1000;
      const marker = Number(input.PartNumberMarker ?? 0) || 0;
      const parts: Array<Record<string, unknown>> = [];
      let truncated = false;
      for (let n = marker + 1; n <= version.segments.length; n++) {
        if (parts.length >= max) {
          truncated = true;
          break;
        }
        const value = partChecksum(version, n);
        parts.push({ PartNumber: n, Size: version.segments[n - 1].n, ...(value !== undefined && version.checksum ? { [checksumMember(version.checksum.algorithm)]: value } : {}) });
      }
      out.ObjectParts = {
        TotalPartsCount: version.partsCount,
        PartNumberMarker: marker,
        NextPartNumberMarker: parts.length ? (parts[parts.length - 1].PartNumber as number) : marker,
        MaxParts: max,
        IsTruncated: truncated,
        Parts: parts,
      };
    }
    return out as GetObjectAttributesOutput;
  }
}
