/**
 * Default bucket encryption (Put/Get/DeleteBucketEncryption) and the at-rest
 * encryption the core calls on every write and read.
 */
import { AwsError } from "../../../core/errors.js";
import type {
  DeleteBucketEncryptionRequest,
  GetBucketEncryptionOutput,
  GetBucketEncryptionRequest,
  PutBucketEncryptionRequest,
  S3Operations,
  ServerSideEncryptionConfiguration,
} from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { S3Base } from "../base.js";
import { BucketConfigs } from "../ext/configs.js";
import type { S3Provider } from "../provider.js";
import { AtRest, DEFAULT_ENCRYPTION } from "./at-rest.js";

type Implemented = Pick<S3Operations, "PutBucketEncryption" | "GetBucketEncryption" | "DeleteBucketEncryption">;

const malformedXml = () =>
  new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });

export class EncryptionModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.encryption = new AtRest(s3.cloud, {
      forBucket: (bucket) => this.configs.get<ServerSideEncryptionConfiguration>("encryption", bucket.name) ?? DEFAULT_ENCRYPTION,
    });
    s3.hooks.events.push({ bucketDeleted: (bucket) => this.configs.delete("encryption", bucket.name) });
    // The core echoes the SSE fields; the encryption context (base64 JSON) is ours to echo.
    s3.hooks.responses.push({
      objectHeaders: ({ version }) => {
        const context = version.encryption?.SSEKMSEncryptionContext;
        return typeof context === "string" ? { "x-amz-server-side-encryption-context": context } : undefined;
      },
    });
  }

  async PutBucketEncryption(input: PutBucketEncryptionRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const rules = input.ServerSideEncryptionConfiguration?.Rules ?? [];
    if (rules.length !== 1) throw malformedXml();
    const rule = rules[0];
    const byDefault = rule.ApplyServerSideEncryptionByDefault;
    if (!byDefault) throw malformedXml();
    const algorithm = byDefault.SSEAlgorithm;
    if (algorithm !== "AES256" && algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") throw malformedXml();
    if (byDefault.KMSMasterKeyID !== undefined && algorithm === "AES256") {
      throw new AwsError("InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse", {
        status: 400,
        fields: { ArgumentName: "ApplyServerSideEncryptionByDefault" },
      });
    }
    const stored: ServerSideEncryptionConfiguration = {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: algorithm, KMSMasterKeyID: byDefault.KMSMasterKeyID },
          BucketKeyEnabled: rule.BucketKeyEnabled ?? false,
          BlockedEncryptionTypes: rule.BlockedEncryptionTypes,
        },
      ],
    };
    this.configs.put("encryption", bucket.name, stored);
  }

  async GetBucketEncryption(input: GetBucketEncryptionRequest, ctx: CallContext): Promise<GetBucketEncryptionOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    return { ServerSideEncryptionConfiguration: this.configs.get<ServerSideEncryptionConfiguration>("encryption", bucket.name) ?? DEFAULT_ENCRYPTION };
  }

  async DeleteBucketEncryption(input: DeleteBucketEncryptionRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.configs.delete("encryption", bucket.name);
  }
}
