/**
 * S3's dialect of rest-xml: routing by sub-resource and headers (several
 * operations share a method and path), virtual-hosted-style addressing,
 * S3's root element names and error body, GetBucketLocation's bare body,
 * aws-chunked request bodies, and RFC 2047 for non-ASCII user metadata.
 */
import type { Readable } from "node:stream";
import { AwsError } from "../../core/errors.js";
import { MAX_METADATA_BYTES, S3Errors } from "./errors.js";
import type { HttpRequest, HttpResponse } from "../../protocol/http.js";
import type { Operation, ServiceModel, Shape } from "../../protocol/model.js";
import type { RouteMatch } from "../../protocol/rest.js";
import { RestXmlProtocol } from "../../protocol/rest-xml.js";
import { escapeXml } from "../../protocol/xml.js";
import { AwsChunkedDecoder, isAwsChunked } from "./chunked.js";
import { decodeHeaderText, encodeHeaderText } from "./header-text.js";
import { formBoundary, readPostForm } from "./post-form.js";

export const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** Root elements of output documents, where S3's differ from "<Operation>Result". */
const ROOT_ELEMENTS: Record<string, string> = {
  ListBuckets: "ListAllMyBucketsResult",
  ListObjects: "ListBucketResult",
  ListObjectsV2: "ListBucketResult",
  ListObjectVersions: "ListVersionsResult",
  ListMultipartUploads: "ListMultipartUploadsResult",
  ListParts: "ListPartsResult",
  CreateMultipartUpload: "InitiateMultipartUploadResult",
  CompleteMultipartUpload: "CompleteMultipartUploadResult",
  DeleteObjects: "DeleteResult",
  GetBucketVersioning: "VersioningConfiguration",
  GetObjectTagging: "Tagging",
  GetBucketTagging: "Tagging",
  GetBucketAcl: "AccessControlPolicy",
  GetObjectAcl: "AccessControlPolicy",
  GetBucketLifecycle: "LifecycleConfiguration",
  GetBucketLifecycleConfiguration: "LifecycleConfiguration",
  GetBucketCors: "CORSConfiguration",
  GetBucketLogging: "BucketLoggingStatus",
  GetBucketWebsite: "WebsiteConfiguration",
  GetBucketRequestPayment: "RequestPaymentConfiguration",
  GetBucketAccelerateConfiguration: "AccelerateConfiguration",
  GetBucketNotification: "NotificationConfiguration",
  GetBucketNotificationConfiguration: "NotificationConfiguration",
  GetObjectAttributes: "GetObjectAttributesResponse",
  ListBucketAnalyticsConfigurations: "ListBucketAnalyticsConfigurationResult",
  ListBucketInventoryConfigurations: "ListInventoryConfigurationsResult",
  ListBucketMetricsConfigurations: "ListMetricsConfigurationsResult",
  ListBucketIntelligentTieringConfigurations: "ListBucketIntelligentTieringConfigurationsOutput",
};

/** Where two operations share a method, path and sub-resource, the one S3 runs. */
const PREFERRED: Record<string, string> = {
  GetBucketLifecycle: "GetBucketLifecycleConfiguration",
  PutBucketLifecycle: "PutBucketLifecycleConfiguration",
  GetBucketNotification: "GetBucketNotificationConfiguration",
  PutBucketNotification: "PutBucketNotificationConfiguration",
};

/** Bucket configurations listed without an id and read with one. */
const LIST_WITHOUT_ID: Record<string, string> = {
  GetBucketAnalyticsConfiguration: "ListBucketAnalyticsConfigurations",
  GetBucketIntelligentTieringConfiguration: "ListBucketIntelligentTieringConfigurations",
  GetBucketInventoryConfiguration: "ListBucketInventoryConfigurations",
  GetBucketMetricsConfiguration: "ListBucketMetricsConfigurations",
};

/** CORS preflight has no operation in the model; providers implement this one. */
export const PREFLIGHT: Operation = { name: "PreflightRequest", http: { method: "OPTIONS", requestUri: "/{Bucket}/{Key+}" } };

/** Browser POST uploads (multipart/form-data to the bucket) have no operation in the model either. */
export const POST_OBJECT: Operation = { name: "PostObject", http: { method: "POST", requestUri: "/{Bucket}" } };

/** What the PostObject handler returns: PutObject's output and how S3 answers the form. */
export interface PostObjectResult {
  put: Record<string, unknown>;
  status: number;
  location?: string;
  /** The PostResponse document of success_action_status 201. */
  document?: { Location: string; Bucket: string; Key: string; ETag: string };
}

/**
 * A request to a bucket's website endpoint (BUCKET.s3-website-REGION.localhost,
 * BUCKET.s3-website.REGION.localhost, or the amazonaws.com forms): no model
 * operation; providers answer it with { Status, Headers, Body }, and errors are
 * HTML pages, as S3's website endpoints answer.
 */
export const WEBSITE: Operation = { name: "WebsiteRequest", http: { method: "GET", requestUri: "/{Key+}" } };

const WEBSITE_HOST = /^(.+)\.s3-website[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:localhost|localhost\.localstack\.cloud|amazonaws\.com(?:\.cn)?)$/;

/** The bucket and region a website endpoint Host names, if it is one. */
export function websiteHost(hostHeader: string | undefined): { bucket: string; region: string } | undefined {
  if (!hostHeader) return undefined;
  const host = hostHeader.trim().toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const match = WEBSITE_HOST.exec(host);
  return match ? { bucket: match[1], region: match[2] } : undefined;
}

interface S3Route {
  operation: Operation;
  method: string;
  onKey: boolean;
  /** Sub-resource query keys the URI names, with a value when it requires one. */
  literals: Array<[string, string | undefined]>;
}

const routeTables = new WeakMap<ServiceModel, S3Route[]>();

function routes(model: ServiceModel): S3Route[] {
  let table = routeTables.get(model);
  if (table) return table;
  table = [];
  for (const operation of Object.values(model.operations)) {
    const [path, query = ""] = operation.http.requestUri.split("?");
    if (!path.startsWith("/{Bucket}")) continue;
    const literals: Array<[string, string | undefined]> = [];
    for (const part of query.split("&")) {
      if (!part) continue;
      const [key, value] = part.split("=");
      if (key !== "x-id") literals.push([key, value]);
    }
    table.push({ operation, method: operation.http.method, onKey: path.includes("{Key+}"), literals });
  }
  routeTables.set(model, table);
  return table;
}

const ENDPOINT_SUFFIXES = ["s3.localhost.localstack.cloud", "localhost.localstack.cloud", "s3.localhost", "localhost"];
const AMAZON_HOST = /^(.+?)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$/;

/** The bucket named by a virtual-hosted-style Host header (bucket.localhost:4566), if any. */
export function virtualHostBucket(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  let host = hostHeader.trim().toLowerCase();
  if (host.startsWith("[")) return undefined;
  host = host.replace(/:\d+$/, "").replace(/\.$/, "");
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return undefined;
  const amazon = AMAZON_HOST.exec(host);
  if (amazon) return amazon[1];
  for (const suffix of ENDPOINT_SUFFIXES) {
    if (host.endsWith("." + suffix)) {
      const bucket = host.slice(0, -suffix.length - 1);
      return bucket && bucket !== "s3" ? bucket : undefined;
    }
  }
  return undefined;
}

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AwsError("InvalidURI", "Couldn't parse the specified URI.", { status: 400 });
  }
}

/** Bucket and key of a request, path-style or virtual-hosted. */
export function addressOf(request: HttpRequest): { bucket?: string; key?: string } {
  const vhost = virtualHostBucket(request.headers["host"]);
  const raw = request.rawPath.startsWith("/") ? request.rawPath.slice(1) : request.rawPath;
  if (vhost) return { bucket: vhost, key: raw === "" ? undefined : decodeSegment(raw) };
  if (raw === "") return {};
  const slash = raw.indexOf("/");
  if (slash < 0) return { bucket: decodeSegment(raw) };
  const key = raw.slice(slash + 1);
  return { bucket: decodeSegment(raw.slice(0, slash)), key: key === "" ? undefined : decodeSegment(key) };
}

/** The bucket and key of an answered request, or none when its path does not decode. */
export function safeAddress(record: { request: HttpRequest }): { bucket?: string; key?: string } {
  try {
    return addressOf(record.request);
  } catch {
    return {};
  }
}

/** The bucket and key an answered request named: its parsed input's, else its path's (see safeAddress). */
export function requestAddress(record: { request: HttpRequest; input?: Record<string, unknown> }): { bucket?: string; key?: string } {
  if (record.input?.Bucket === undefined) return safeAddress(record);
  return { bucket: record.input.Bucket as string, key: (record.input.Key as string | undefined) || undefined };
}

export class S3Protocol extends RestXmlProtocol {
  protected override route(request: HttpRequest, model: ServiceModel): RouteMatch | undefined {
    const site = websiteHost(request.headers["host"]);
    if (site) return { operation: WEBSITE, labels: { Bucket: site.bucket } };
    const { bucket, key } = addressOf(request);
    const method = request.method;
    if (!bucket) {
      if (method === "GET" || method === "HEAD") return { operation: model.operations.ListBuckets, labels: {} };
      return undefined;
    }
    const labels: Record<string, string> = key === undefined ? { Bucket: bucket } : { Bucket: bucket, Key: key };
    if (method === "OPTIONS") return { operation: PREFLIGHT, labels };
    const present = new Set(request.query.map(([k]) => k));
    const header = (name: string) => request.headers[name] !== undefined;
    let best: S3Route | undefined;
    for (const route of routes(model)) {
      if (route.method !== method || route.onKey !== (key !== undefined)) continue;
      if (route.literals.length === 0) continue;
      const matches = route.literals.every(([k, v]) => present.has(k) && (v === undefined || request.query.some(([qk, qv]) => qk === k && qv === v)));
      if (matches && (!best || route.literals.length > best.literals.length)) best = route;
    }
    let name: string | undefined;
    if (best) {
      name = PREFERRED[best.operation.name] ?? best.operation.name;
      if (LIST_WITHOUT_ID[name] && !present.has("id")) name = LIST_WITHOUT_ID[name];
    } else if (key === undefined) {
      if (method === "POST") return { operation: POST_OBJECT, labels };
      name = { GET: "ListObjects", PUT: "CreateBucket", DELETE: "DeleteBucket", HEAD: "HeadBucket" }[method];
    } else {
      const upload = present.has("uploadId");
      switch (method) {
        case "PUT":
          if (upload && present.has("partNumber")) name = header("x-amz-copy-source") ? "UploadPartCopy" : "UploadPart";
          else name = header("x-amz-copy-source") ? "CopyObject" : "PutObject";
          break;
        case "GET":
          name = upload ? "ListParts" : "GetObject";
          break;
        case "DELETE":
          name = upload ? "AbortMultipartUpload" : "DeleteObject";
          break;
        case "POST":
          name = upload ? "CompleteMultipartUpload" : undefined;
          break;
        case "HEAD":
          name = "HeadObject";
          break;
      }
    }
    if (!name || !model.operations[name]) return undefined;
    return { operation: model.operations[name], labels };
  }

  protected override notFound(request: HttpRequest): AwsError {
    return new AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", {
      status: 405,
      fields: { Method: request.method, ResourceType: addressOf(request).key === undefined ? "BUCKET" : "OBJECT" },
    });
  }

  protected override rootElementName(operation: Operation, shape: Shape): string {
    return ROOT_ELEMENTS[operation.name] ?? shape.locationName ?? `${operation.name}Result`;
  }

  protected override defaultNamespace(): string {
    return S3_NAMESPACE;
  }

  protected override alwaysWriteBody(operation: Operation): boolean {
    return operation.name in ROOT_ELEMENTS;
  }

  override async parseInput(request: HttpRequest, model: ServiceModel, operation: Operation): Promise<Record<string, unknown>> {
    if (operation === PREFLIGHT) {
      const { bucket, key } = addressOf(request);
      return { Bucket: bucket, Key: key };
    }
    if (operation === POST_OBJECT) {
      const boundary = formBoundary(request.headers["content-type"]);
      if (boundary === undefined) {
        throw new AwsError("PreconditionFailed", "Bucket POST must be of the enclosure-type multipart/form-data", { status: 412 });
      }
      return { Bucket: addressOf(request).bucket, Form: await readPostForm(request.bodyStream(), boundary) };
    }
    if (operation === WEBSITE) {
      const raw = request.rawPath.startsWith("/") ? request.rawPath.slice(1) : request.rawPath;
      return { Bucket: websiteHost(request.headers["host"])!.bucket, Key: decodeSegment(raw), Method: request.method };
    }
    let input: Record<string, unknown>;
    try {
      input = await super.parseInput(request, model, operation);
    } catch (error) {
      // S3 calls a malformed parameter (max-keys=abc, partNumber=x) InvalidArgument.
      if (error instanceof AwsError && error.code === "InvalidParameterValue") throw new AwsError("InvalidArgument", error.message, { status: 400 });
      throw error;
    }
    const body = input.Body as Readable | undefined;
    if (body && typeof (body as Readable).pipe === "function" && isAwsChunked(request.headers)) {
      const sha = request.headers["x-amz-content-sha256"] ?? "";
      input.Body = new AwsChunkedDecoder(body, sha.startsWith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"));
      const decoded = request.headers["x-amz-decoded-content-length"];
      if (decoded !== undefined && /^\d+$/.test(decoded)) input.ContentLength = Number(decoded);
      else delete input.ContentLength;
    }
    // aws-chunked is a transfer detail, never part of the object's stored encoding.
    if (typeof input.ContentEncoding === "string" && /aws-chunked/i.test(input.ContentEncoding)) {
      const rest = input.ContentEncoding.split(",").map((e) => e.trim()).filter((e) => e && e.toLowerCase() !== "aws-chunked");
      if (rest.length) input.ContentEncoding = rest.join(", ");
      else delete input.ContentEncoding;
    }
    if (input.Metadata && typeof input.Metadata === "object") {
      const metadata = input.Metadata as Record<string, string>;
      for (const name of Object.keys(metadata)) metadata[name] = decodeHeaderText(metadata[name]);
      const stored = operation.name === "PutObject" || operation.name === "CreateMultipartUpload" || (operation.name === "CopyObject" && input.MetadataDirective === "REPLACE");
      if (stored) {
        let size = 0;
        for (const [name, value] of Object.entries(metadata)) size += Buffer.byteLength(name) + Buffer.byteLength(value);
        if (size > MAX_METADATA_BYTES) throw S3Errors.metadataTooLarge(size);
      }
    }
    return input;
  }

  override serializeOutput(model: ServiceModel, operation: Operation, output: Record<string, unknown> | undefined, requestId: string): HttpResponse {
    let response: HttpResponse;
    if (operation === WEBSITE) {
      const page = (output ?? {}) as { Status?: number; Headers?: Record<string, string>; Body?: Buffer | Readable };
      response = { status: page.Status ?? 200, headers: { ...page.Headers }, body: page.Body };
    } else if (operation.name === "GetBucketLocation") {
      const constraint = output?.LocationConstraint as string | undefined;
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        (constraint ? `<LocationConstraint xmlns="${S3_NAMESPACE}">${escapeXml(constraint)}</LocationConstraint>` : `<LocationConstraint xmlns="${S3_NAMESPACE}"/>`);
      response = { status: 200, headers: { "content-type": "application/xml" }, body };
    } else if (operation === POST_OBJECT) {
      response = this.postObjectResponse(model, output as unknown as PostObjectResult, requestId);
    } else {
      response = super.serializeOutput(model, operation, output, requestId);
      // A ranged read (Range or partNumber) answers 206 with its Content-Range.
      if ((operation.name === "GetObject" || operation.name === "HeadObject") && output?.ContentRange !== undefined) response.status = 206;
    }
    Object.assign(response.headers, s3RequestHeaders(requestId));
    for (const name of Object.keys(response.headers)) {
      if (name.startsWith("x-amz-meta-")) response.headers[name] = encodeHeaderText(String(response.headers[name]));
    }
    if (response.body === undefined && response.headers["content-length"] === undefined) response.headers["content-length"] = "0";
    return response;
  }

  /** PutObject's headers (ETag, version id, encryption, checksums) with the form's status and body. */
  private postObjectResponse(model: ServiceModel, result: PostObjectResult, requestId: string): HttpResponse {
    const response = super.serializeOutput(model, model.operations.PutObject, result.put, requestId);
    response.status = result.status;
    if (result.location !== undefined) response.headers["location"] = result.location;
    if (result.document) {
      const doc = result.document;
      response.headers["content-type"] = "application/xml";
      response.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>' +
        `<Location>${escapeXml(doc.Location)}</Location><Bucket>${escapeXml(doc.Bucket)}</Bucket>` +
        `<Key>${escapeXml(doc.Key)}</Key><ETag>${escapeXml(doc.ETag)}</ETag></PostResponse>`;
    } else {
      delete response.body;
    }
    return response;
  }

  override serializeError(_model: ServiceModel, _operation: Operation | undefined, error: AwsError, requestId: string): HttpResponse {
    // Stratus puts x-amzn-RequestId on every response; S3 clients read x-amz-request-id.
    const headers: Record<string, string> = { "x-amzn-requestid": requestId, ...s3RequestHeaders(requestId), ...error.headers };
    if (error.status === 304) return { status: 304, headers };
    if (_operation === WEBSITE) return websiteErrorPage(error, requestId, headers);
    let extra = "";
    for (const [key, value] of Object.entries(error.fields)) if (value !== undefined) extra += `<${key}>${escapeXml(String(value))}</${key}>`;
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>` +
      `${extra}<RequestId>${requestId}</RequestId><HostId>${headers["x-amz-id-2"]}</HostId></Error>`;
    return { status: error.status, headers: { ...headers, "content-type": "application/xml" }, body };
  }
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error", 501: "Not Implemented" };

/** A website endpoint's error: an HTML page listing the code, message and ids. */
function websiteErrorPage(error: AwsError, requestId: string, headers: Record<string, string>): HttpResponse {
  const title = `${error.status} ${STATUS_TEXT[error.status] ?? "Error"}`;
  let items = `<li>Code: ${escapeXml(error.code)}</li>\n<li>Message: ${escapeXml(error.message)}</li>\n`;
  for (const [key, value] of Object.entries(error.fields)) if (value !== undefined) items += `<li>${escapeXml(key)}: ${escapeXml(String(value))}</li>\n`;
  items += `<li>RequestId: ${requestId}</li>\n<li>HostId: ${headers["x-amz-id-2"]}</li>\n`;
  const body = `<html>\n<head><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<ul>\n${items}</ul>\n<hr/>\n</body>\n</html>\n`;
  return { status: error.status, headers: { ...headers, "content-type": "text/html; charset=utf-8" }, body };
}

/** S3 names its request id x-amz-request-id and adds an extended id. */
export function s3RequestHeaders(requestId: string): Record<string, string> {
  return {
    "x-amz-request-id": requestId,
    "x-amz-id-2": Buffer.from(requestId.replace(/-/g, ""), "hex").toString("base64"),
  };
}

export const s3Protocol = new S3Protocol();
