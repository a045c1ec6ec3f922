/** One server access log record, in the space-separated format AWS documents. */
import type { CompletedRequest } from "../../types.js";
import { canonicalId } from "../validation.js";

/** Log operation names (REST.<method>.<resource>) of operations whose resource is not derived from the query. */
const OPERATIONS: Record<string, string> = {
  ListObjects: "REST.GET.BUCKET",
  ListObjectsV2: "REST.GET.BUCKET",
  HeadBucket: "REST.HEAD.BUCKET",
  CreateBucket: "REST.PUT.BUCKET",
  DeleteBucket: "REST.DELETE.BUCKET",
  ListObjectVersions: "REST.GET.BUCKETVERSIONS",
  GetObject: "REST.GET.OBJECT",
  HeadObject: "REST.HEAD.OBJECT",
  PutObject: "REST.PUT.OBJECT",
  DeleteObject: "REST.DELETE.OBJECT",
  CopyObject: "REST.COPY.OBJECT",
  DeleteObjects: "REST.POST.MULTI_OBJECT_DELETE",
  CreateMultipartUpload: "REST.POST.UPLOADS",
  UploadPart: "REST.PUT.PART",
  UploadPartCopy: "REST.COPY.PART",
  CompleteMultipartUpload: "REST.POST.UPLOAD",
  AbortMultipartUpload: "REST.DELETE.UPLOAD",
  ListParts: "REST.GET.UPLOAD",
  ListMultipartUploads: "REST.GET.UPLOADS",
  GetObjectTagging: "REST.GET.OBJECT_TAGGING",
  PutObjectTagging: "REST.PUT.OBJECT_TAGGING",
  DeleteObjectTagging: "REST.DELETE.OBJECT_TAGGING",
  GetBucketPolicy: "REST.GET.BUCKETPOLICY",
  PutBucketPolicy: "REST.PUT.BUCKETPOLICY",
  DeleteBucketPolicy: "REST.DELETE.BUCKETPOLICY",
  GetBucketLogging: "REST.GET.LOGGING_STATUS",
  PutBucketLogging: "REST.PUT.LOGGING_STATUS",
  PreflightRequest: "REST.OPTIONS.PREFLIGHT",
  WebsiteRequest: "WEBSITE.GET.OBJECT",
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** [06/Feb/2019:00:00:38 +0000] */
export function logTime(date: Date): string {
  return `[${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000]`;
}

function operationName(record: CompletedRequest, hasKey: boolean): string {
  const named = record.operation && OPERATIONS[record.operation];
  if (named) return named;
  const method = record.request.method.toUpperCase();
  const sub = record.request.query.map(([k]) => k).find((k) => /^[a-z-]+$/.test(k) && k !== "x-id" && k !== "versionId");
  if (sub) return `REST.${method}.${sub.toUpperCase().replace(/-/g, "_")}`;
  return `REST.${method}.${hasKey ? "OBJECT" : "BUCKET"}`;
}

const dash = (value: string | number | undefined) => (value === undefined || value === "" ? "-" : String(value));
const quoted = (value: string | undefined) => `"${value === undefined || value === "" ? "-" : value.replace(/"/g, '\\"')}"`;

function header(record: CompletedRequest, name: string): string | undefined {
  const value = record.responseHeaders[name];
  return Array.isArray(value) ? value[0] : value;
}

function requestUri(record: CompletedRequest): string {
  const query = record.request.query.map(([k, v]) => (v === "" ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join("&");
  return `${record.request.method.toUpperCase()} ${record.request.rawPath}${query ? `?${query}` : ""} HTTP/1.1`;
}

export interface LogContext {
  bucketOwner: string;
  bucket: string;
  key?: string;
  time: Date;
}

/** The record for one request, fields in AWS's order. */
export function formatRecord(record: CompletedRequest, context: LogContext): string {
  const input = record.input ?? {};
  const signed = !record.anonymous;
  const requester = !signed ? "-" : record.principalArn.endsWith(":root") ? canonicalId(record.account) : record.principalArn;
  const objectOp = context.key !== undefined;
  let objectSize: number | undefined;
  if (record.operation === "GetObject" || record.operation === "HeadObject") {
    const range = header(record, "content-range");
    objectSize = range ? Number(range.split("/")[1]) : record.bytesSent;
  } else if (record.operation === "PutObject" || record.operation === "UploadPart") {
    objectSize = input.ContentLength as number | undefined;
  }
  const bytesSent = record.request.method.toUpperCase() === "HEAD" || !record.bytesSent ? undefined : record.bytesSent;
  const queryAuth = record.request.query.some(([k]) => k === "X-Amz-Signature");
  const fields = [
    canonicalId(context.bucketOwner),
    context.bucket,
    logTime(context.time),
    dash(record.sourceIp),
    requester,
    record.requestId,
    operationName(record, objectOp),
    objectOp ? encodeURIComponent(context.key!).replace(/%2F/g, "/") : "-",
    quoted(requestUri(record)),
    String(record.status),
    dash(record.errorCode),
    dash(bytesSent),
    dash(objectSize),
    String(Math.max(0, Math.round(record.totalMs))),
    String(Math.max(0, Math.round(record.totalMs))),
    quoted(record.request.headers["referer"]),
    quoted(record.request.headers["user-agent"]),
    dash(input.VersionId as string | undefined),
    dash(header(record, "x-amz-id-2")),
    signed ? "SigV4" : "-",
    "-",
    signed ? (queryAuth ? "QueryString" : "AuthHeader") : "-",
    dash(record.request.headers["host"]),
    "-",
    "-",
    "-",
  ];
  return fields.join(" ");
}
