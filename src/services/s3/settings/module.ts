/**
 * Small bucket settings: Transfer Acceleration (stored; a Stratus endpoint is
 * already as fast as it gets), Requester Pays (enforced: other accounts must
 * acknowledge the charge with x-amz-request-payer), and event notifications
 * (validated and stored; SQS, SNS and Lambda destinations cannot be validated
 * since those services do not exist in Stratus, so S3 refuses them as it
 * refuses an unreachable destination, unless validation is skipped).
 */
import { AwsError } from "../../../core/errors.js";
import { crypto } from "../../../core/crypto.js";
import type {
  GetBucketAccelerateConfigurationOutput,
  GetBucketAccelerateConfigurationRequest,
  GetBucketNotificationConfigurationRequest,
  GetBucketRequestPaymentOutput,
  GetBucketRequestPaymentRequest,
  NotificationConfiguration,
  NotificationConfigurationFilter,
  PutBucketAccelerateConfigurationRequest,
  PutBucketNotificationConfigurationRequest,
  PutBucketRequestPaymentRequest,
  S3Operations,
} from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { S3Base } from "../base.js";
import { S3Errors } from "../errors.js";
import { BucketConfigs } from "../ext/configs.js";
import { accessDenied, type AccessRequest, type S3Authorizer } from "../hooks.js";
import type { S3Provider } from "../provider.js";

type Implemented = Pick<
  S3Operations,
  | "PutBucketAccelerateConfiguration"
  | "GetBucketAccelerateConfiguration"
  | "PutBucketRequestPayment"
  | "GetBucketRequestPayment"
  | "PutBucketNotificationConfiguration"
  | "GetBucketNotificationConfiguration"
>;

/** Event types S3 notifications accept (the model's Event enum). */
const EVENTS = new Set([
  "s3:ReducedRedundancyLostObject",
  "s3:ObjectCreated:*",
  "s3:ObjectCreated:Put",
  "s3:ObjectCreated:Post",
  "s3:ObjectCreated:Copy",
  "s3:ObjectCreated:CompleteMultipartUpload",
  "s3:ObjectRemoved:*",
  "s3:ObjectRemoved:Delete",
  "s3:ObjectRemoved:DeleteMarkerCreated",
  "s3:ObjectRestore:*",
  "s3:ObjectRestore:Post",
  "s3:ObjectRestore:Completed",
  "s3:Replication:*",
  "s3:Replication:OperationFailedReplication",
  "s3:Replication:OperationNotTracked",
  "s3:Replication:OperationMissedThreshold",
  "s3:Replication:OperationReplicatedAfterThreshold",
  "s3:ObjectRestore:Delete",
  "s3:LifecycleTransition",
  "s3:IntelligentTiering",
  "s3:ObjectAcl:Put",
  "s3:LifecycleExpiration:*",
  "s3:LifecycleExpiration:Delete",
  "s3:LifecycleExpiration:DeleteMarkerCreated",
  "s3:ObjectTagging:*",
  "s3:ObjectTagging:Put",
  "s3:ObjectTagging:Delete",
]);

const ARN = /^arn:aws[a-z-]*:(sqs|sns|lambda):[a-z0-9-]+:\d{12}:.+$/;

const invalidArgument = (message: string, name?: string, value?: string) => S3Errors.invalidArgument(message, name, value);

/** What an unreachable destination answers: S3 cannot deliver its test event to it. */
function unableToValidate(destinations: Array<{ arn: string; reason: string }>): AwsError {
  const fields: Record<string, string> = {};
  destinations.forEach((d, i) => {
    fields[`ArgumentName${i + 1}`] = d.arn;
    fields[`ArgumentValue${i + 1}`] = d.reason;
  });
  return new AwsError("InvalidArgument", "Unable to validate the following destination configurations", { status: 400, fields });
}

function checkFilter(filter: NotificationConfigurationFilter | undefined): void {
  const rules = filter?.Key?.FilterRules ?? [];
  const seen = new Set<string>();
  for (const rule of rules) {
    const name = String(rule.Name ?? "").toLowerCase();
    if (name !== "prefix" && name !== "suffix") throw invalidArgument("filter rule name must be either prefix or suffix", "FilterRule", String(rule.Name));
    if (seen.has(name)) throw invalidArgument(`Cannot specify more than one ${name} rule in a filter.`, "FilterRule", name);
    seen.add(name);
    if ((rule.Value ?? "").length > 1024) throw invalidArgument("filter rule value cannot be longer than 1024 characters", "FilterRule", name);
  }
}

export class SettingsModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.events.push({
      bucketDeleted: (bucket) => {
        for (const kind of ["accelerate", "request-payment", "notification"] as const) this.configs.delete(kind, bucket.name);
      },
    });
    // Requester Pays: a requester from another account must acknowledge the charge.
    const inner: S3Authorizer = s3.hooks.authorizer;
    const configs = this.configs;
    s3.hooks.authorizer = {
      async authorize(request: AccessRequest) {
        await inner.authorize(request);
        const bucket = request.bucket;
        if (!bucket || configs.get<string>("request-payment", bucket.name) !== "Requester") return;
        if (!request.ctx.anonymous && request.ctx.account === bucket.account) return;
        if (request.operation === "PutBucketRequestPayment" || request.operation === "GetBucketRequestPayment") return;
        if (request.ctx.anonymous || request.ctx.request.headers["x-amz-request-payer"]?.toLowerCase() !== "requester") throw accessDenied();
        request.ctx.responseHeaders["x-amz-request-charged"] = "requester";
      },
    };
  }

  // --- Transfer Acceleration -------------------------------------------------

  async PutBucketAccelerateConfiguration(input: PutBucketAccelerateConfigurationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:PutAccelerateConfiguration" });
    const status = input.AccelerateConfiguration?.Status as string | undefined;
    if (status !== "Enabled" && status !== "Suspended") throw S3Errors.malformedXml();
    if (bucket.name.includes(".")) throw S3Errors.invalidRequest("S3 Transfer Acceleration is not supported for buckets with periods (.) in their names");
    this.configs.put("accelerate", bucket.name, status);
  }

  async GetBucketAccelerateConfiguration(input: GetBucketAccelerateConfigurationRequest, ctx: CallContext): Promise<GetBucketAccelerateConfigurationOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:GetAccelerateConfiguration" });
    const status = this.configs.get<string>("accelerate", bucket.name);
    return { Status: status as GetBucketAccelerateConfigurationOutput["Status"] };
  }

  // --- Requester Pays --------------------------------------------------------

  async PutBucketRequestPayment(input: PutBucketRequestPaymentRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const payer = input.RequestPaymentConfiguration?.Payer as string | undefined;
    if (payer !== "BucketOwner" && payer !== "Requester") throw S3Errors.malformedXml();
    if (payer === "BucketOwner") this.configs.delete("request-payment", bucket.name);
    else this.configs.put("request-payment", bucket.name, payer);
  }

  async GetBucketRequestPayment(input: GetBucketRequestPaymentRequest, ctx: CallContext): Promise<GetBucketRequestPaymentOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    return { Payer: (this.configs.get<string>("request-payment", bucket.name) ?? "BucketOwner") as GetBucketRequestPaymentOutput["Payer"] };
  }

  // --- Event notifications ---------------------------------------------------

  async PutBucketNotificationConfiguration(input: PutBucketNotificationConfigurationRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:PutBucketNotification" });
    const config = input.NotificationConfiguration ?? {};
    const stored: NotificationConfiguration = {};
    const unreachable: Array<{ arn: string; reason: string }> = [];
    const ids = new Set<string>();
    const kinds = [
      ["TopicConfigurations", "TopicArn", "sns", "The destination topic does not exist"],
      ["QueueConfigurations", "QueueArn", "sqs", "The destination queue does not exist"],
      ["LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda", "The destination Lambda function does not exist"],
    ] as const;
    for (const [list, arnMember, service, reason] of kinds) {
      const entries = (config[list] ?? []) as Array<Record<string, any>>;
      if (entries.length === 0) continue;
      const out: Array<Record<string, unknown>> = [];
      for (const entry of entries) {
        const arn = String(entry[arnMember] ?? "");
        const match = ARN.exec(arn);
        if (!match || match[1] !== service) throw invalidArgument("The ARN is not well formed", arnMember === "LambdaFunctionArn" ? "CloudFunction" : arnMember.replace("Arn", ""), arn);
        const events = (entry.Events ?? []) as string[];
        if (events.length === 0) throw S3Errors.malformedXml();
        for (const event of events) if (!EVENTS.has(event)) throw invalidArgument("The event is not supported for notifications", "Event", event);
        checkFilter(entry.Filter);
        const id = (entry.Id as string | undefined) ?? crypto().randomBytes(24).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 32);
        if (ids.has(id)) throw invalidArgument("Same ID used for multiple configurations. IDs must be unique", "Id", id);
        ids.add(id);
        unreachable.push({ arn, reason });
        out.push({ Id: id, [arnMember]: arn, Events: events, ...(entry.Filter ? { Filter: entry.Filter } : {}) });
      }
      (stored as Record<string, unknown>)[list] = out;
    }
    if (config.EventBridgeConfiguration !== undefined) stored.EventBridgeConfiguration = {};
    // Stratus has no SQS, SNS or Lambda to send S3's test event to.
    if (unreachable.length > 0 && input.SkipDestinationValidation !== true) throw unableToValidate(unreachable);
    if (Object.keys(stored).length === 0) this.configs.delete("notification", bucket.name);
    else this.configs.put("notification", bucket.name, stored);
  }

  async GetBucketNotificationConfiguration(input: GetBucketNotificationConfigurationRequest, ctx: CallContext): Promise<NotificationConfiguration> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input, action: "s3:GetBucketNotification" });
    return this.configs.get<NotificationConfiguration>("notification", bucket.name) ?? {};
  }
}
