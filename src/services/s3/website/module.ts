/**
 * Static website hosting: Put/Get/DeleteBucketWebsite with S3's validation,
 * and the website endpoint itself (Host BUCKET.s3-website-REGION.localhost or
 * BUCKET.s3-website.REGION.localhost): index documents, error documents,
 * redirect-all, routing rules, per-object redirects, HTML error pages. Content
 * is read as an anonymous GetObject, so it must be public, as on AWS.
 */
import type { Readable } from "node:stream";
import { AwsError, isAwsError } from "../../../core/errors.js";
import type {
  DeleteBucketWebsiteRequest,
  GetBucketWebsiteOutput,
  GetBucketWebsiteRequest,
  PutBucketWebsiteRequest,
  RoutingRule,
  S3Operations,
  WebsiteConfiguration,
} from "../../../generated/s3.js";
import type { CallContext } from "../../types.js";
import { S3Base } from "../base.js";
import { S3Errors } from "../errors.js";
import { BucketConfigs } from "../ext/configs.js";
import type { BucketRecord, ObjectCodec } from "../hooks.js";
import { checkReadConditions, contentRange, parseRange } from "../conditions.js";
import { checkReadable, resolveVersion } from "../object-common.js";
import type { S3Provider } from "../provider.js";
import type { StoredVersion } from "../store.js";

type Implemented = Pick<S3Operations, "PutBucketWebsite" | "GetBucketWebsite" | "DeleteBucketWebsite">;

export interface WebsiteInput {
  Bucket: string;
  Key: string;
  Method: string;
}

export interface WebsitePage {
  Status: number;
  Headers: Record<string, string>;
  Body?: Buffer | Readable;
}

const invalid = (message: string) => S3Errors.invalidArgument(message);

export function checkWebsite(config: WebsiteConfiguration | undefined): WebsiteConfiguration {
  if (!config) throw S3Errors.malformedXml();
  const redirectAll = config.RedirectAllRequestsTo;
  if (redirectAll) {
    if (config.IndexDocument || config.ErrorDocument || config.RoutingRules?.length) {
      throw invalid("RedirectAllRequestsTo cannot be provided in conjunction with other Routing/Redirect configurations.");
    }
    if (!redirectAll.HostName) throw S3Errors.malformedXml();
    checkProtocol(redirectAll.Protocol);
    return { RedirectAllRequestsTo: { HostName: redirectAll.HostName, ...(redirectAll.Protocol ? { Protocol: redirectAll.Protocol } : {}) } };
  }
  const suffix = config.IndexDocument?.Suffix;
  if (suffix === undefined) throw invalid("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty");
  if (suffix === "" || suffix.includes("/")) throw invalid("The IndexDocument Suffix is not well formed");
  if (config.ErrorDocument && !config.ErrorDocument.Key) throw invalid("The ErrorDocument Key is not well formed");
  const rules = config.RoutingRules ?? [];
  if (rules.length > 50) throw invalid("The number of routing rules must not exceed allowed limit of 50 rules.");
  for (const rule of rules) {
    const redirect = rule.Redirect;
    if (!redirect) throw S3Errors.malformedXml();
    if (redirect.ReplaceKeyPrefixWith !== undefined && redirect.ReplaceKeyWith !== undefined) {
      throw invalid("You can only define ReplaceKeyPrefix or ReplaceKey but not both.");
    }
    if ([redirect.HostName, redirect.HttpRedirectCode, redirect.Protocol, redirect.ReplaceKeyPrefixWith, redirect.ReplaceKeyWith].every((v) => v === undefined)) {
      throw invalid("Redirect must contain at least one of the following elements: HostName, HttpRedirectCode, Protocol, ReplaceKeyPrefixWith, ReplaceKeyWith.");
    }
    checkProtocol(redirect.Protocol);
    if (redirect.HttpRedirectCode !== undefined && !/^3\d\d$/.test(redirect.HttpRedirectCode)) {
      throw invalid(`The provided HTTP redirect code (${redirect.HttpRedirectCode}) is not valid. Valid codes are 3XX except 300.`);
    }
    if (redirect.HttpRedirectCode === "300") throw invalid("The provided HTTP redirect code (300) is not valid. Valid codes are 3XX except 300.");
    const condition = rule.Condition;
    if (condition) {
      if (condition.KeyPrefixEquals === undefined && condition.HttpErrorCodeReturnedEquals === undefined) {
        throw invalid("Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.");
      }
      const code = condition.HttpErrorCodeReturnedEquals;
      if (code !== undefined && !/^[45]\d\d$/.test(code)) throw invalid(`The provided HTTP error code (${code}) is not valid. Valid codes are 4XX or 5XX.`);
    }
  }
  const out: WebsiteConfiguration = { IndexDocument: { Suffix: suffix } };
  if (config.ErrorDocument) out.ErrorDocument = { Key: config.ErrorDocument.Key };
  if (rules.length) out.RoutingRules = rules;
  return out;
}

function checkProtocol(protocol: string | undefined): void {
  if (protocol !== undefined && protocol !== "http" && protocol !== "https") throw invalid(`Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.`);
}

export class WebsiteModule extends S3Base implements Implemented {
  private readonly configs: BucketConfigs;

  constructor(s3: S3Provider) {
    super(s3);
    this.configs = new BucketConfigs(s3.cloud);
    s3.hooks.events.push({ bucketDeleted: (bucket) => this.configs.delete("website", bucket.name) });
  }

  async PutBucketWebsite(input: PutBucketWebsiteRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.configs.put("website", bucket.name, checkWebsite(input.WebsiteConfiguration));
  }

  async GetBucketWebsite(input: GetBucketWebsiteRequest, ctx: CallContext): Promise<GetBucketWebsiteOutput> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    const config = this.configs.get<WebsiteConfiguration>("website", bucket.name);
    if (!config) throw noWebsite(bucket.name);
    return config;
  }

  async DeleteBucketWebsite(input: DeleteBucketWebsiteRequest, ctx: CallContext): Promise<void> {
    const bucket = await this.bucketFor(ctx, input.Bucket, { input });
    this.configs.delete("website", bucket.name);
  }

  /** A request to the bucket's website endpoint. */
  async WebsiteRequest(input: WebsiteInput, ctx: CallContext): Promise<WebsitePage> {
    const method = input.Method.toUpperCase();
    if (method !== "GET" && method !== "HEAD") throw S3Errors.methodNotAllowed(method, "OBJECT");
    const bucket = this.store.bucket(input.Bucket);
    if (!bucket) throw S3Errors.noSuchBucket(input.Bucket);
    const config = this.configs.get<WebsiteConfiguration>("website", bucket.name);
    if (!config) throw noWebsite(bucket.name);
    const host = (ctx.request.headers["host"] ?? "").trim();
    if (config.RedirectAllRequestsTo) {
      const target = config.RedirectAllRequestsTo;
      return redirect(301, `${target.Protocol ?? "http"}://${target.HostName}/${input.Key}`);
    }
    const rules = config.RoutingRules ?? [];
    const byPrefix = rules.find((r) => r.Condition?.HttpErrorCodeReturnedEquals === undefined && (r.Condition?.KeyPrefixEquals === undefined || input.Key.startsWith(r.Condition.KeyPrefixEquals)));
    if (byPrefix) return routed(byPrefix, input.Key, host);
    const suffix = config.IndexDocument!.Suffix;
    const key = input.Key === "" || input.Key.endsWith("/") ? input.Key + suffix : input.Key;
    try {
      return await this.serve(ctx, bucket, key, method);
    } catch (error) {
      if (!isAwsError(error)) throw error;
      // A "folder" without its slash: S3 redirects to the slash form when its index document exists.
      if (error.status === 404 && key === input.Key && this.exists(bucket, `${input.Key}/${suffix}`)) return redirect(302, `/${input.Key}/`);
      const onError = rules.find(
        (r) => r.Condition?.HttpErrorCodeReturnedEquals === String(error.status) && (r.Condition.KeyPrefixEquals === undefined || input.Key.startsWith(r.Condition.KeyPrefixEquals)),
      );
      if (onError) return routed(onError, input.Key, host);
      if (config.ErrorDocument && (error.status === 403 || error.status === 404)) {
        try {
          const page = await this.serve(ctx, bucket, config.ErrorDocument.Key, method);
          return { ...page, Status: error.status };
        } catch {
          // The error document itself cannot be read: S3 answers the original error.
        }
      }
      throw error;
    }
  }

  private exists(bucket: BucketRecord, key: string): boolean {
    const version = this.store.latest(bucket.name, key);
    return version !== undefined && !version.deleteMarker;
  }

  /** Reads one object as an anonymous GetObject would (so it must be public). */
  private async serve(ctx: CallContext, bucket: BucketRecord, key: string, method: string): Promise<WebsitePage> {
    await this.authorize(ctx, bucket, bucket.name, { key, action: "s3:GetObject", input: { Bucket: bucket.name, Key: key } });
    const version: StoredVersion = resolveVersion(this.store, bucket, key, undefined, "GET");
    if (version.websiteRedirectLocation) return redirect(301, version.websiteRedirectLocation);
    checkReadable(version);
    // Browsers revalidate and seek: conditional GETs and byte ranges work as on the REST endpoint.
    const h = ctx.request.headers;
    const date = (value: string | undefined) => (value && !Number.isNaN(Date.parse(value)) ? new Date(value) : undefined);
    checkReadConditions(
      { IfMatch: h["if-match"], IfNoneMatch: h["if-none-match"], IfModifiedSince: date(h["if-modified-since"]), IfUnmodifiedSince: date(h["if-unmodified-since"]) },
      version,
    );
    const range = parseRange(h["range"], version.size);
    let codec: ObjectCodec | undefined;
    if (version.encryption) {
      codec = await this.hooks.encryption.open({ bucket, key, record: version.encryption, sse: {}, purpose: "read", operation: "GetObject", ctx });
    }
    const headers: Record<string, string> = {
      "content-type": version.contentType ?? "binary/octet-stream",
      "content-length": String(range ? range.end - range.start : version.size),
      etag: version.etag,
      "last-modified": version.lastModified.toUTCString(),
      "accept-ranges": "bytes",
    };
    if (range) headers["content-range"] = contentRange(range, version.size);
    if (version.cacheControl) headers["cache-control"] = version.cacheControl;
    if (version.contentEncoding) headers["content-encoding"] = version.contentEncoding;
    if (version.contentDisposition) headers["content-disposition"] = version.contentDisposition;
    if (version.contentLanguage) headers["content-language"] = version.contentLanguage;
    for (const [name, value] of Object.entries(version.metadata)) headers[`x-amz-meta-${name}`] = value;
    return { Status: range ? 206 : 200, Headers: headers, Body: method === "HEAD" ? undefined : this.engine.read(version, range, codec) };
  }
}

function noWebsite(bucket: string): AwsError {
  return new AwsError("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", { status: 404, fields: { BucketName: bucket } });
}

function redirect(status: number, location: string): WebsitePage {
  return { Status: status, Headers: { location, "content-length": "0" } };
}

/** The redirect a routing rule makes of a key. */
function routed(rule: RoutingRule, key: string, host: string): WebsitePage {
  const r = rule.Redirect;
  let target = key;
  if (r.ReplaceKeyWith !== undefined) target = r.ReplaceKeyWith;
  else if (r.ReplaceKeyPrefixWith !== undefined) {
    const prefix = rule.Condition?.KeyPrefixEquals ?? "";
    target = r.ReplaceKeyPrefixWith + key.slice(prefix.length);
  }
  const location = `${r.Protocol ?? "http"}://${r.HostName ?? host}/${target}`;
  return redirect(Number(r.HttpRedirectCode ?? "301"), location);
}
