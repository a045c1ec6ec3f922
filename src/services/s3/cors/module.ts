/**
 * CORS: Put/Get/DeleteBucketCors with S3's validation, OPTIONS preflight
 * answered from the rules, and Access-Control-* headers on actual requests
 * that carry an Origin.
 */
import { AwsError } from "../../../core/errors.js";
import type { CORSRule, DeleteBucketCorsRequest, GetBucketCorsOutput, GetBucketCorsRequest, PutBucketCorsRequest, S3Operations } from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { wildcardMatch } from "../access/wildcard.js";
import { S3Base } from "../base.js";
import { S3Errors } from "../errors.js";
import { BucketConfigs } from "../ext/configs.js";
import type { BucketRecord } from "../hooks.js";
import type { S3Provider } from "../provider.js";

type Implemented = Pick<S3Operations, "PutBucketCors" | "GetBucketCors" | "DeleteBucketCors">;

const METHODS = new Set(["GET", "PUT", "HEAD", "POST", "DELETE"]);
const invalidRequest = (message: string) => new AwsError("InvalidRequest", message, { status: 400 });
const forbidden = (message: string, method: string) =>
  new AwsError("AccessForbidden", `CORSResponse: ${message}`, { status: 403, fields: { Method: method, ResourceType: "OBJECT" } });

export function checkCorsRules(rules: CORSRule[]): CORSRule[] {
  if (rules.length === 0) throw S3Errors.malformedXml();
  if (rules.length > 100) throw invalidRequest("The number of CORS rules should not exceed allowed limit of 100 rules.");
  for (const rule of rules) {
    if (!rule.AllowedMethods?.length || !rule.AllowedOrigins?.length) throw S3Errors.malformedXml();
    for (const method of rule.AllowedMethods) {
      if (!METHODS.has(method)) throw invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${method}`);
    }
    for (const origin of rule.AllowedOrigins) {
      if (origin.split("*").length > 2) throw invalidRequest(`AllowedOrigin "${origin}" can not have more than one wildcard.`);
    }
    for (const header of rule.AllowedHeaders ?? []) {
      if (header.split("*").length > 2) throw invalidRequest(`AllowedHeader "${header}" can not have more than one wildcard.`);
    }
    if (rule.ID !== undefined && rule.ID.length > 255) throw invalidRequest("ID length should not exceed allowed limit of 255");
  }
  return rules;
}

/** The first rule that allows origin + method (+ every requested header), as S3 picks it. */
export function matchRule(rules: CORSRule[], origin: string, method: string, headers: string[]): CORSRule | undefined {
  return rules.find(
    (rule) =>
      rule.AllowedOrigins.some((o) => wildcardMatch(o, origin)) &&
      rule.AllowedMethods.includes(method) &&
      headers.every((h) => (rule.AllowedHeaders ?? []).some((allowed) => wildcardMatch(allowed.toLowerCase(), h.toLowerCase()))),
  );
}

function allowOrigin(rule: CORSRule, origin: string): Record<string, string> {
  const wildcard = rule.AllowedOrigins.includes("*");
  const headers: Record<string, string> = { "access-control-allow-origin": wildcard ? "*" : origin };
  if (!wildcard) headers["access-control-allow-credentials"] = "true";
  return headers;
}

export class CorsModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.events.push({ bucketDeleted: (bucket) => this.configs.delete("cors", bucket.name) });
    s3.hooks.responses.push({ bucketHeaders: (bucket, ctx) => this.actualRequestHeaders(bucket, ctx) });
  }

  async PutBucketCors(input: PutBucketCorsRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.configs.put("cors", bucket.name, checkCorsRules(input.CORSConfiguration?.CORSRules ?? []));
  }

  async GetBucketCors(input: GetBucketCorsRequest, ctx: CallContext): Promise<GetBucketCorsOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const rules = this.configs.get<CORSRule[]>("cors", bucket.name);
    if (!rules) throw new AwsError("NoSuchCORSConfiguration", "The CORS configuration does not exist", { status: 404, fields: { BucketName: bucket.name } });
    return { CORSRules: rules };
  }

  async DeleteBucketCors(input: DeleteBucketCorsRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.configs.delete("cors", bucket.name);
  }

  /** OPTIONS: answered from the bucket's rules; browsers send it unsigned, so it is not authorized. */
  PreflightRequest(input: { Bucket?: string; Key?: string }, ctx: CallContext): Record<string, never> {
    const headers = ctx.request.headers;
    const origin = headers["origin"];
    const method = headers["access-control-request-method"];
    if (!origin) throw new AwsError("BadRequest", "Insufficient information. Origin request header needed.", { status: 400 });
    if (!method) throw new AwsError("BadRequest", "Invalid Access-Control-Request-Method: null", { status: 400 });
    if (!input.Bucket) throw forbidden("CORS is not enabled for this bucket.", method);
    const bucket = this.store.bucket(input.Bucket);
    if (!bucket) throw S3Errors.noSuchBucket(input.Bucket);
    const rules = this.configs.get<CORSRule[]>("cors", bucket.name);
    if (!rules) throw forbidden("CORS is not enabled for this bucket.", method);
    const requested = (headers["access-control-request-headers"] ?? "").split(",").map((h) => h.trim()).filter(Boolean);
    const rule = matchRule(rules, origin, method, requested);
    if (!rule) {
      throw forbidden(
        "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        method,
      );
    }
    Object.assign(ctx.responseHeaders, allowOrigin(rule, origin), {
      "access-control-allow-methods": rule.AllowedMethods.join(", "),
      vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    });
    if (requested.length) ctx.responseHeaders["access-control-allow-headers"] = requested.join(", ");
    if (rule.MaxAgeSeconds !== undefined) ctx.responseHeaders["access-control-max-age"] = String(rule.MaxAgeSeconds);
    if (rule.ExposeHeaders?.length) ctx.responseHeaders["access-control-expose-headers"] = rule.ExposeHeaders.join(", ");
    return {};
  }

  /** Headers for a request that carries Origin, when a rule allows its origin and method. */
  private actualRequestHeaders(bucket: BucketRecord, ctx: CallContext): Record<string, string> | undefined {
    const origin = ctx.request.headers["origin"];
    if (!origin) return undefined;
    const rules = this.configs.get<CORSRule[]>("cors", bucket.name);
    if (!rules) return undefined;
    const rule = matchRule(rules, origin, ctx.request.method.toUpperCase(), []);
    if (!rule) return undefined;
    const headers: Record<string, string> = {
      ...allowOrigin(rule, origin),
      "access-control-allow-methods": rule.AllowedMethods.join(", "),
      vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    };
    if (rule.MaxAgeSeconds !== undefined) headers["access-control-max-age"] = String(rule.MaxAgeSeconds);
    if (rule.ExposeHeaders?.length) headers["access-control-expose-headers"] = rule.ExposeHeaders.join(", ");
    return headers;
  }
}
