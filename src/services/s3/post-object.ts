/**
 * Browser POST uploads (PostObject): an HTML form posts the object to the
 * bucket's URL. A form with a `policy` is authenticated: the policy (base64
 * JSON: expiration and conditions) is signed with SigV4 (x-amz-algorithm,
 * x-amz-credential, x-amz-date, x-amz-signature) or the legacy HMAC-SHA1
 * (AWSAccessKeyId, signature), and every field must satisfy the policy's
 * conditions. A form without one is anonymous (the bucket must let anyone
 * write). The upload itself is a PutObject: the form's fields become its
 * headers, so ACLs, metadata, tagging, encryption, checksums and events
 * behave exactly as they do for PUT.
 */
import { Readable } from "node:stream";
import { crypto } from "../../core/crypto.js";
import { AwsError } from "../../core/errors.js";
import type { HttpRequest } from "../../protocol/http.js";
import { loadModel } from "../../protocol/model.js";
import { childNamed, childrenNamed, parseXml } from "../../protocol/xml.js";
import { signaturesEqual, signingKey } from "../../server/sigv4.js";
import type { CallContext } from "../types.js";
import { S3Base } from "./base.js";
import type { PostForm } from "./post-form.js";
import { s3Protocol, type PostObjectResult } from "./protocol.js";

export interface PostObjectInput {
  Bucket: string;
  Form: PostForm;
}

/** Form fields that become PutObject headers under their own name. */
const HEADER_FIELDS = new Set(["cache-control", "content-type", "content-disposition", "content-encoding", "content-language", "content-md5", "expires"]);
/** Fields the policy need not mention. */
const UNCONDITIONED = new Set(["awsaccesskeyid", "signature", "x-amz-signature", "policy", "file", "x-amz-security-token"]);

type Condition =
  | { kind: "eq" | "starts-with"; field: string; value: string; text: string }
  | { kind: "range"; min: number; max: number };

function invalidPolicy(detail: string): AwsError {
  return new AwsError("InvalidPolicyDocument", `Invalid Policy: ${detail}`, { status: 400 });
}

function policyDenied(detail: string): AwsError {
  return new AwsError("AccessDenied", `Invalid according to Policy: ${detail}`, { status: 403 });
}

function missingField(name: string): AwsError {
  return new AwsError("InvalidArgument", `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, {
    status: 400,
    fields: { ArgumentName: name, ArgumentValue: "" },
  });
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function parsePolicy(encoded: string): { expiration: number; conditions: Condition[] } {
  let doc: unknown;
  try {
    const text = Buffer.from(encoded.replace(/\s+/g, ""), "base64").toString("utf8");
    doc = JSON.parse(text);
  } catch {
    throw invalidPolicy("Invalid JSON.");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw invalidPolicy("Invalid JSON.");
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (expiration === undefined) throw invalidPolicy("Policy missing expiration.");
  if (typeof expiration !== "string" || !ISO_TIME.test(expiration) || Number.isNaN(Date.parse(expiration))) {
    throw invalidPolicy(`Invalid 'expiration' value: '${typeof expiration === "string" ? expiration : JSON.stringify(expiration)}'`);
  }
  if (conditions === undefined) throw invalidPolicy("Policy missing conditions.");
  if (!Array.isArray(conditions)) throw invalidPolicy("Invalid 'conditions' value: must be a List.");
  return { expiration: Date.parse(expiration), conditions: conditions.map(parseCondition) };
}

function parseCondition(raw: unknown): Condition {
  if (Array.isArray(raw)) {
    const op = typeof raw[0] === "string" ? raw[0].toLowerCase() : "";
    if (op === "content-length-range") {
      const [, min, max] = raw;
      if (raw.length !== 3 || !Number.isInteger(min) || !Number.isInteger(max) || (min as number) < 0 || (max as number) < 0) {
        throw invalidPolicy(`Invalid content-length-range condition: ${JSON.stringify(raw)}`);
      }
      return { kind: "range", min: min as number, max: max as number };
    }
    if (op !== "eq" && op !== "starts-with") throw invalidPolicy(`Invalid Condition: unknown operation ${JSON.stringify(raw[0])}.`);
    const [, field, value] = raw;
    if (raw.length !== 3 || typeof field !== "string" || !field.startsWith("$") || typeof value !== "string") {
      throw invalidPolicy(`Invalid Condition: ${JSON.stringify(raw)}`);
    }
    return { kind: op, field: field.slice(1).toLowerCase(), value, text: JSON.stringify(raw) };
  }
  if (typeof raw === "object" && raw !== null) {
    const entries = Object.entries(raw);
    if (entries.length !== 1) throw invalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.");
    const [field, value] = entries[0];
    if (typeof value !== "string") throw invalidPolicy("Invalid Simple-Condition: value must be a string.");
    return { kind: "eq", field: field.replace(/^\$/, "").toLowerCase(), value, text: JSON.stringify(raw) };
  }
  throw invalidPolicy(`Invalid Condition: ${JSON.stringify(raw)}`);
}

/** <Tagging><TagSet><Tag><Key/><Value/></Tag>... as the x-amz-tagging query form. */
function taggingHeader(xml: string): string {
  let root;
  try {
    root = parseXml(xml);
  } catch {
    throw new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });
  }
  const set = childNamed(root, "TagSet");
  const tags = set ? childrenNamed(set, "Tag") : [];
  return tags
    .map((tag) => `${encodeURIComponent(childNamed(tag, "Key")?.text ?? "")}=${encodeURIComponent(childNamed(tag, "Value")?.text ?? "")}`)
    .join("&");
}

/** Counts the file's bytes against content-length-range as they stream. */
async function* withinRange(source: Readable, min: number, max: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    if (size > max) {
      throw new AwsError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", { status: 400, fields: { ProposedSize: size, MaxSizeAllowed: max } });
    }
    yield chunk as Buffer;
  }
  if (size < min) {
    throw new AwsError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", { status: 400, fields: { ProposedSize: size, MinSizeAllowed: min } });
  }
}

function encodeKey(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

export class PostObjectOperations extends S3Base {
  async PostObject(input: PostObjectInput, ctx: CallContext): Promise<PostObjectResult> {
    const { form } = { form: input.Form };
    const file = form.file;
    try {
      return await this.post(input.Bucket, form, ctx);
    } catch (error) {
      if (file && !file.stream.readableEnded) {
        file.stream.on("error", () => {});
        file.stream.resume();
      }
      throw error;
    }
  }

  private async post(bucketName: string, form: PostForm, ctx: CallContext): Promise<PostObjectResult> {
    // Field names are case-insensitive; the first of a name counts.
    const fields = new Map<string, string>();
    for (const [name, value] of form.fields) if (!fields.has(name.toLowerCase())) fields.set(name.toLowerCase(), value);
    const file = form.file;
    if (!file) throw new AwsError("InvalidArgument", "POST requires exactly one file upload per request.", { status: 400, fields: { ArgumentName: "file", ArgumentValue: "0" } });
    let key = fields.get("key");
    if (key === undefined) throw missingField("key");
    if (key.includes("${filename}")) key = key.split("${filename}").join(file.filename ?? "");
    fields.set("key", key);

    let caller: Pick<CallContext, "account" | "accessKeyId" | "anonymous" | "principalArn"> = { account: ctx.account, accessKeyId: "", anonymous: true, principalArn: "" };
    let body: Readable = file.stream;
    const policyText = fields.get("policy");
    if (policyText !== undefined) {
      const accessKeyId = this.verifySignature(policyText, fields);
      const policy = parsePolicy(policyText);
      // Clients sign with their wall clock, as for presigned URLs.
      if (policy.expiration < Date.now()) throw policyDenied("Policy expired.");
      const named = new Set<string>();
      let range: { min: number; max: number } | undefined;
      for (const condition of policy.conditions) {
        if (condition.kind === "range") {
          range = condition;
          continue;
        }
        named.add(condition.field);
        const actual = condition.field === "bucket" ? bucketName : fields.get(condition.field) ?? "";
        const ok = condition.kind === "eq" ? actual === condition.value : actual.startsWith(condition.value);
        if (!ok) throw policyDenied(`Policy Condition failed: ${condition.text}`);
      }
      for (const name of fields.keys()) {
        if (UNCONDITIONED.has(name) || name.startsWith("x-ignore-") || name.startsWith("x-amz-checksum-") || named.has(name)) continue;
        throw policyDenied(`Extra input fields: ${name}`);
      }
      if (range) body = Readable.from(withinRange(file.stream, range.min, range.max), { objectMode: false });
      const known = this.cloud.identity.caller(accessKeyId);
      caller = { account: known.account, accessKeyId, anonymous: false, principalArn: known.principalArn };
    }

    const request = this.putRequest(ctx.request, bucketName, key, fields, body);
    const model = loadModel("s3");
    const operation = await s3Protocol.resolveOperation(request, model);
    const putInput = await s3Protocol.parseInput(request, model, operation);
    // The form's length is not the file's: the object is as long as the file part.
    delete putInput.ContentLength;
    const putCtx: CallContext = { ...ctx, ...caller, operation: "PutObject", request };
    const put = (await (this.s3 as unknown as { PutObject(i: unknown, c: CallContext): Promise<Record<string, unknown>> }).PutObject(putInput, putCtx)) ?? {};

    const location = `http://${ctx.host || "localhost"}/${encodeURIComponent(bucketName)}/${encodeKey(key)}`;
    const etag = String(put.ETag ?? "");
    const redirect = fields.get("success_action_redirect") ?? fields.get("redirect");
    if (redirect) {
      const target = `${redirect}${redirect.includes("?") ? "&" : "?"}bucket=${encodeURIComponent(bucketName)}&key=${encodeURIComponent(key)}&etag=${encodeURIComponent(etag)}`;
      return { put, status: 303, location: target };
    }
    const status = fields.get("success_action_status");
    if (status === "201") return { put, status: 201, location, document: { Location: location, Bucket: bucketName, Key: key, ETag: etag } };
    if (status === "200") return { put, status: 200, location };
    return { put, status: 204, location };
  }

  /** Checks the policy's signature (strict mode) and returns the signer's access key id. */
  private verifySignature(policy: string, fields: Map<string, string>): string {
    const algorithm = fields.get("x-amz-algorithm");
    let accessKeyId: string;
    let check: (secret: string) => boolean;
    if (algorithm !== undefined) {
      if (algorithm !== "AWS4-HMAC-SHA256") throw new AwsError("InvalidArgument", "Invalid algorithm", { status: 400, fields: { ArgumentName: "x-amz-algorithm", ArgumentValue: algorithm } });
      const credential = fields.get("x-amz-credential");
      if (credential === undefined) throw missingField("x-amz-credential");
      const signature = fields.get("x-amz-signature");
      if (signature === undefined) throw missingField("x-amz-signature");
      const parts = credential.split("/");
      if (parts.length !== 5 || parts[4] !== "aws4_request") {
        throw new AwsError("InvalidArgument", "Invalid credential", { status: 400, fields: { ArgumentName: "x-amz-credential", ArgumentValue: credential } });
      }
      const [id, date, region, service] = parts;
      accessKeyId = id;
      check = (secret) => {
        const expected = crypto().createHmac("sha256", signingKey(secret, date, region, service)).update(policy).digest("hex");
        return signaturesEqual(expected, signature);
      };
    } else {
      const id = fields.get("awsaccesskeyid");
      if (id === undefined) throw missingField("AWSAccessKeyId");
      const signature = fields.get("signature");
      if (signature === undefined) throw missingField("Signature");
      accessKeyId = id;
      check = (secret) => {
        const expected = crypto().createHmac("sha1", secret).update(policy).digest("base64");
        return expected.length === signature.length && crypto().timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
      };
    }
    if (this.cloud.options.auth === "strict") {
      const secret = this.cloud.identity.secretFor(accessKeyId, this.cloud.clock.now());
      if (secret === undefined) {
        throw new AwsError("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", { status: 403, fields: { AWSAccessKeyId: accessKeyId } });
      }
      if (!check(secret)) {
        throw new AwsError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", {
          status: 403,
          fields: { AWSAccessKeyId: accessKeyId, StringToSign: policy, SignatureProvided: fields.get("x-amz-signature") ?? fields.get("signature") },
        });
      }
    }
    return accessKeyId;
  }

  /** The PUT the form stands for: its fields as headers, the file as the body. */
  private putRequest(original: HttpRequest, bucket: string, key: string, fields: Map<string, string>, body: Readable): HttpRequest {
    const headers: Record<string, string | undefined> = {
      // Path-style, whatever addressing the form used.
      host: "s3.post-object.invalid",
      "content-length": original.headers["content-length"] ?? "0",
      "user-agent": original.headers["user-agent"],
      referer: original.headers["referer"],
      origin: original.headers["origin"],
    };
    for (const [name, value] of fields) {
      if (HEADER_FIELDS.has(name) || (name.startsWith("x-amz-") && !UNCONDITIONED.has(name) && !["x-amz-algorithm", "x-amz-credential", "x-amz-date"].includes(name))) {
        headers[name] = value;
      } else if (name === "acl") {
        headers["x-amz-acl"] = value;
      } else if (name === "tagging") {
        headers["x-amz-tagging"] = taggingHeader(value);
      }
    }
    return {
      method: "PUT",
      rawPath: `/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`,
      query: [],
      headers,
      readBody: () => Promise.reject(new Error("PostObject bodies stream")),
      bodyStream: () => body,
      socketAddress: (original as { socketAddress?: string }).socketAddress,
    } as HttpRequest;
  }
}
