/** Bucket tagging: Put/Get/DeleteBucketTagging with S3's tag rules. */
import { AwsError } from "../../../core/errors.js";
import type { DeleteBucketTaggingRequest, GetBucketTaggingOutput, GetBucketTaggingRequest, PutBucketTaggingRequest, S3Operations, Tag } from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { S3Base } from "../base.js";
import { BucketConfigs } from "../ext/configs.js";
import type { S3Provider } from "../provider.js";

type Implemented = Pick<S3Operations, "PutBucketTagging" | "GetBucketTagging" | "DeleteBucketTagging">;

const invalidTag = (message: string) => new AwsError("InvalidTag", message, { status: 400 });

export function checkBucketTags(tags: Tag[]): Tag[] {
  if (tags.length > 50) throw invalidTag("Bucket tag count cannot be greater than 50");
  const keys = new Set<string>();
  for (const tag of tags) {
    if (typeof tag.Key !== "string" || tag.Key.length < 1 || tag.Key.length > 128) throw invalidTag("The TagKey you have provided is invalid");
    if (typeof tag.Value !== "string" || tag.Value.length > 256) throw invalidTag("The TagValue you have provided is invalid");
    if (tag.Key.toLowerCase().startsWith("aws:")) throw invalidTag("System tags cannot be added/updated by requester");
    if (keys.has(tag.Key)) throw invalidTag("Cannot provide multiple Tags with the same key");
    keys.add(tag.Key);
  }
  return tags.map((t) => ({ Key: t.Key, Value: t.Value }));
}

export class TaggingModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.events.push({ bucketDeleted: (bucket) => this.configs.delete("tagging", bucket.name) });
  }

  async PutBucketTagging(input: PutBucketTaggingRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.configs.put("tagging", bucket.name, checkBucketTags(input.Tagging?.TagSet ?? []));
  }

  async GetBucketTagging(input: GetBucketTaggingRequest, ctx: CallContext): Promise<GetBucketTaggingOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const tags = this.configs.get<Tag[]>("tagging", bucket.name);
    if (!tags) throw new AwsError("NoSuchTagSet", "The TagSet does not exist", { status: 404, fields: { BucketName: bucket.name } });
    return { TagSet: tags };
  }

  async DeleteBucketTagging(input: DeleteBucketTaggingRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.configs.delete("tagging", bucket.name);
  }
}
