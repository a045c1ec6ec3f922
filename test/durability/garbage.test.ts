/**
 * Bad input on every protocol's parse paths gets a 4xx AWS-shaped error, never
 * a 500 or HTML, and the server keeps serving: query and EC2 forms with deep,
 * huge, duplicated or malformed parameters; JSON with wrong types, nulls and
 * out-of-range numbers; CBOR truncated or of the wrong major type; XML with
 * entities and doctypes (never expanded); S3 headers with bad dates, ranges
 * and digests; aws-chunked bodies with bad chunk sizes and signatures; and
 * resource limits (very long names and keys, 10,000 tags).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateKeyCommand, KMSClient, ListResourceTagsCommand } from "@aws-sdk/client-kms";
import type { RunningStratus } from "../../src/index.js";
import { decodeCbor, encodeCbor } from "../../src/protocol/cbor.js";
import { parseXml } from "../../src/protocol/xml.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

const auth = (service: string) => `AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;
const form = (service: string) => ({ "content-type": "application/x-www-form-urlencoded", authorization: auth(service) });
const kms = (op: string) => ({ "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.${op}`, authorization: auth("kms") });
const cwJson = (op: string) => ({ "content-type": "application/x-amz-json-1.0", "x-amz-target": `GraniteServiceVersion20100801.${op}`, "x-amzn-query-mode": "true", authorization: auth("monitoring") });
const cbor = { "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor", authorization: auth("monitoring") };
const CBOR_PUT = "/service/GraniteServiceVersion20100801/operation/PutMetricData";
const rest = (service: string) => ({ "content-type": "application/json", authorization: auth(service) });
const s3 = { authorization: auth("s3"), "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
const s3xml = { ...s3, "content-type": "application/xml" };
const SIG = "0".repeat(64);
const chunked = (extra: Record<string, string> = {}) => ({ ...s3, "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "5", ...extra });
const big = "a".repeat(200_000);
const many = (n: number, item: (i: number) => string) => Array.from({ length: n }, (_, i) => item(i)).join("&");

interface Case {
  label: string;
  method?: string;
  path?: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** The code AWS answers, where the case pins it. */
  code?: string;
  status?: number;
}

const CASES: Case[] = [
  // query (IAM, STS, CloudWatch) and EC2 forms
  { label: "ec2: a scalar list item given sub-parameters", headers: form("ec2"), body: "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag:x&Filter.1.Value.1.a.b.c=1", code: "UnknownParameter", status: 400 },
  { label: "ec2: an index past 2^32", headers: form("ec2"), body: "Action=DescribeInstances&Version=2016-11-15&InstanceId.4294967296=i-1" },
  { label: "ec2: an integer beyond 64 bits", headers: form("ec2"), body: "Action=DescribeInstances&Version=2016-11-15&MaxResults=99999999999999999999999", code: "InvalidParameterValue", status: 400 },
  { label: "ec2: a boolean that is not one", headers: form("ec2"), body: "Action=DescribeInstances&Version=2016-11-15&DryRun=yes", code: "InvalidParameterValue", status: 400 },
  { label: "ec2: a timestamp that is not one", headers: form("ec2"), body: "Action=DescribeSpotPriceHistory&Version=2016-11-15&StartTime=notatime", code: "InvalidParameterValue", status: 400 },
  { label: "ec2: a year 99999999", headers: form("ec2"), body: "Action=DescribeSpotPriceHistory&Version=2016-11-15&StartTime=99999999-01-01T00:00:00Z", code: "InvalidParameterValue", status: 400 },
  { label: "ec2: 10,000 tags", headers: form("ec2"), body: `Action=CreateTags&Version=2016-11-15&ResourceId.1=i-12345678&${many(10_000, (i) => `Tag.${i + 1}.Key=k${i}&Tag.${i + 1}.Value=v`)}` },
  { label: "ec2: a 200 KB tag key", headers: form("ec2"), body: `Action=CreateTags&Version=2016-11-15&ResourceId.1=i-12345678&Tag.1.Key=${big}` },
  { label: "ec2: negative counts", headers: form("ec2"), body: "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=-5&MaxCount=-1", code: "InvalidParameterValue", status: 400 },
  { label: "iam: a member given sub-parameters", headers: form("iam"), body: "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key.member.1.x.y.z=1" },
  { label: "iam: duplicated parameters", headers: form("iam"), body: "Action=CreateRole&Version=2010-05-08&RoleName=a&RoleName=b&AssumeRolePolicyDocument=%7B%7D" },
  { label: "iam: a 200 KB role name", headers: form("iam"), body: `Action=CreateRole&Version=2010-05-08&RoleName=${big}&AssumeRolePolicyDocument=%7B%7D`, code: "ValidationError", status: 400 },
  { label: "iam: a policy nested 50,000 deep", headers: form("iam"), body: `Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument=${"%5B".repeat(50_000)}${"%5D".repeat(50_000)}` },
  { label: "iam: 10,000 tags", headers: form("iam"), body: `Action=CreateRole&Version=2010-05-08&RoleName=x3&AssumeRolePolicyDocument=%7B%7D&${many(10_000, (i) => `Tags.member.${i + 1}.Key=k${i}&Tags.member.${i + 1}.Value=v`)}` },
  { label: "iam: an integer beyond 32 bits", headers: form("iam"), body: "Action=ListRoles&Version=2010-05-08&MaxItems=4294967297", code: "InvalidParameterValue", status: 400 },
  { label: "iam: __proto__ parameters", headers: form("iam"), body: "Action=CreateRole&Version=2010-05-08&RoleName=x4&AssumeRolePolicyDocument=%7B%7D&__proto__.polluted=1&Tags.member.1.__proto__=1" },
  { label: "sts: a broken percent-encoding", headers: form("sts"), body: "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=%E0%A4%A" },
  { label: "cloudwatch query: NaN values", headers: form("monitoring"), body: "Action=PutMetricData&Version=2010-08-01&Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Value=NaN", code: "InvalidParameterValue", status: 400 },
  { label: "cloudwatch query: epoch seconds beyond any date", headers: form("monitoring"), body: "Action=PutMetricData&Version=2010-08-01&Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1&MetricData.member.1.Timestamp=99999999999999999", code: "InvalidParameterValue", status: 400 },
  { label: "cloudwatch query: 20,000 values", headers: form("monitoring"), body: `Action=PutMetricData&Version=2010-08-01&Namespace=n&MetricData.member.1.MetricName=m&${many(20_000, (i) => `MetricData.member.1.Values.member.${i + 1}=1`)}` },
  { label: "cloudwatch query: a dashboard nested 50,000 deep", headers: form("monitoring"), body: `Action=PutDashboard&Version=2010-08-01&DashboardName=d&DashboardBody=${"%5B".repeat(50_000)}${"%5D".repeat(50_000)}` },
  // JSON (KMS, CloudWatch)
  { label: "kms: a number for an integer shape beyond 32 bits", headers: kms("GenerateDataKey"), body: '{"KeyId":"alias/x","NumberOfBytes":1e300}', code: "SerializationException", status: 400 },
  { label: "kms: a bigint for an integer", headers: kms("ScheduleKeyDeletion"), body: '{"KeyId":"k","PendingWindowInDays":9007199254740993}', code: "SerializationException", status: 400 },
  { label: "kms: a string for a boolean", headers: kms("CreateKey"), body: '{"BypassPolicyLockoutSafetyCheck":"yes"}', code: "SerializationException", status: 400 },
  { label: "kms: numbers in an encryption context", headers: kms("Encrypt"), body: '{"KeyId":"alias/x","Plaintext":"AAAA","EncryptionContext":{"a":1}}', code: "SerializationException", status: 400 },
  { label: "kms: an array nested 100,000 deep", headers: kms("CreateKey"), body: "[".repeat(100_000) + "]".repeat(100_000), code: "SerializationException", status: 400 },
  { label: "kms: a 1 MB policy", headers: kms("CreateKey"), body: JSON.stringify({ Policy: "x".repeat(1_000_000) }) },
  { label: "kms: 10,000 tags", headers: kms("CreateKey"), body: JSON.stringify({ Tags: Array.from({ length: 10_000 }, (_, i) => ({ TagKey: `k${i}`, TagValue: "v" })) }) },
  { label: "kms: a ciphertext that is none", headers: kms("Decrypt"), body: '{"CiphertextBlob":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}' },
  { label: "cloudwatch json: a null item in a list", headers: cwJson("PutMetricData"), body: '{"Namespace":"n","MetricData":[null]}' },
  { label: "cloudwatch json: epoch seconds beyond any date", headers: cwJson("PutMetricData"), body: '{"Namespace":"n","MetricData":[{"MetricName":"m","Value":1,"Timestamp":1e300}]}', code: "SerializationException", status: 400 },
  { label: "cloudwatch json: an object for a list", headers: cwJson("PutMetricData"), body: '{"Namespace":"n","MetricData":[{"MetricName":"m","Value":1,"Dimensions":{"a":"b"}}]}', code: "SerializationException", status: 400 },
  { label: "cloudwatch json: an expression nested 3,000 deep", headers: cwJson("GetMetricData"), body: `{"MetricDataQueries":[{"Id":"a","Expression":"${"ABS(".repeat(3000)}1${")".repeat(3000)}"}],"StartTime":1,"EndTime":2}` },
  { label: "cloudwatch json: 300 years at one-second periods", headers: cwJson("GetMetricStatistics"), body: '{"Namespace":"n","MetricName":"m","StartTime":0,"EndTime":9999999999,"Period":1,"Statistics":["Sum"]}' },
  // rest-json (DLM, EBS)
  { label: "dlm: wrong types everywhere", path: "/policies", headers: rest("dlm"), body: '{"Description":5,"State":true,"ExecutionRoleArn":[],"PolicyDetails":"x"}', status: 400 },
  { label: "dlm: a malformed cron expression", path: "/policies", headers: rest("dlm"), body: `{"Description":"d","State":"ENABLED","ExecutionRoleArn":"arn:aws:iam::000000000000:role/r","PolicyDetails":{"ResourceTypes":["VOLUME"],"TargetTags":[{"Key":"a","Value":"b"}],"Schedules":[{"Name":"n","CreateRule":{"CronExpression":"cron(${"*/".repeat(1000)})"}}]}}`, status: 400 },
  { label: "dlm: a bad percent-encoding in the path", method: "GET", path: "/policies/%zz", headers: rest("dlm"), status: 400 },
  { label: "ebs: a block index beyond 32 bits", method: "PUT", path: "/snapshots/snap-00000000000000000/blocks/99999999999999999999", headers: { ...rest("ebs"), "x-amz-Data-Length": "1", "x-amz-Checksum": "x", "x-amz-Checksum-Algorithm": "SHA256" }, body: "x", status: 400 },
  { label: "ebs: a data length that is not a number", method: "PUT", path: "/snapshots/snap-00000000000000000/blocks/0", headers: { ...rest("ebs"), "x-amz-Data-Length": "abc", "x-amz-Checksum": "x", "x-amz-Checksum-Algorithm": "SHA256" }, body: "x", status: 400 },
  { label: "ebs: a volume size of 1e20", path: "/snapshots", headers: rest("ebs"), body: '{"VolumeSize":1e20}', status: 400 },
  // CBOR (CloudWatch)
  { label: "cbor: truncated", path: CBOR_PUT, headers: cbor, body: Buffer.from("a2694e616d657370616365616e6a4d6574726963", "hex"), code: "SerializationException", status: 400 },
  { label: "cbor: an array for the body", path: CBOR_PUT, headers: cbor, body: Buffer.from([0x82, 0x01, 0x02]), code: "SerializationException", status: 400 },
  { label: "cbor: an 2^64-byte string", path: CBOR_PUT, headers: cbor, body: Buffer.from([0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), code: "SerializationException", status: 400 },
  { label: "cbor: nested 100,000 deep", path: CBOR_PUT, headers: cbor, body: Buffer.concat([Buffer.alloc(100_000, 0x81), Buffer.from([0x01])]), code: "SerializationException", status: 400 },
  { label: "cbor: a map with array keys", path: CBOR_PUT, headers: cbor, body: Buffer.from([0xa1, 0x80, 0x02]), code: "SerializationException", status: 400 },
  { label: "cbor: a stray break", path: CBOR_PUT, headers: cbor, body: Buffer.from([0xff]), code: "SerializationException", status: 400 },
  { label: "cbor: invalid UTF-8", path: CBOR_PUT, headers: cbor, body: Buffer.from([0xa1, 0x62, 0xff, 0xfe, 0x01]), code: "SerializationException", status: 400 },
  { label: "cbor: a huge unsigned integer for a string", path: CBOR_PUT, headers: cbor, body: Buffer.concat([Buffer.from([0xa1, 0x69]), Buffer.from("Namespace"), Buffer.from([0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]), code: "SerializationException", status: 400 },
  { label: "cbor: a timestamp beyond any date", path: CBOR_PUT, headers: cbor, body: encodeCbor({ Namespace: "n", MetricData: [{ MetricName: "m", Value: 1, Timestamp: 1e300 }] }), code: "SerializationException", status: 400 },
  { label: "cbor: trailing bytes", path: CBOR_PUT, headers: cbor, body: Buffer.concat([encodeCbor({ Namespace: "n", MetricData: [{ MetricName: "m", Value: 1 }] }), Buffer.from([0x01])]), code: "SerializationException", status: 400 },
  // XML (S3): entities are never expanded, doctypes refused
  { label: "xml: billion laughs", method: "PUT", path: "/garbage-bucket?tagging", headers: s3xml, body: '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Tagging><TagSet><Tag><Key>&b;</Key><Value>v</Value></Tag></TagSet></Tagging>', code: "MalformedXML", status: 400 },
  { label: "xml: an external entity", method: "PUT", path: "/garbage-bucket?tagging", headers: s3xml, body: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Tagging><TagSet><Tag><Key>&e;</Key><Value>v</Value></Tag></TagSet></Tagging>', code: "MalformedXML", status: 400 },
  { label: "xml: an undeclared entity", method: "PUT", path: "/garbage-bucket?tagging", headers: s3xml, body: "<Tagging><TagSet><Tag><Key>&foo;</Key><Value>b</Value></Tag></TagSet></Tagging>", code: "MalformedXML", status: 400 },
  { label: "xml: nested 100,000 deep", method: "PUT", path: "/garbage-bucket?tagging", headers: s3xml, body: "<a>".repeat(100_000) + "</a>".repeat(100_000), code: "MalformedXML", status: 400 },
  { label: "xml: mismatched tags", method: "PUT", path: "/garbage-bucket?tagging", headers: s3xml, body: "<Tagging><TagSet></Tagging></TagSet>", code: "MalformedXML", status: 400 },
  { label: "xml: UTF-16", method: "PUT", path: "/garbage-bucket?tagging", headers: s3xml, body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("<Tagging/>", "utf16le")]), code: "MalformedXML", status: 400 },
  { label: "xml: an integer beyond 32 bits", method: "PUT", path: "/garbage-bucket?lifecycle", headers: s3xml, body: "<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status><Filter/><Expiration><Days>99999999999999999999</Days></Expiration></Rule></LifecycleConfiguration>", code: "MalformedXML", status: 400 },
  { label: "xml: a date that is not one", method: "PUT", path: "/garbage-bucket?lifecycle", headers: s3xml, body: "<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status><Filter/><Expiration><Date>yesterday</Date></Expiration></Rule></LifecycleConfiguration>", code: "MalformedXML", status: 400 },
  { label: "xml: 2,000 objects to delete", method: "POST", path: "/garbage-bucket?delete", headers: s3xml, body: `<Delete>${"<Object><Key>k</Key></Object>".repeat(2000)}</Delete>`, code: "MalformedXML", status: 400 },
  { label: "xml: a policy nested 100,000 deep", method: "PUT", path: "/garbage-bucket?policy", headers: { ...s3, "content-type": "application/json" }, body: "[".repeat(100_000) + "]".repeat(100_000), code: "MalformedPolicy", status: 400 },
  // S3 headers
  { label: "s3: If-Modified-Since that is not a date", method: "GET", path: "/garbage-bucket/o", headers: { ...s3, "if-modified-since": "not a date" }, status: 400 },
  { label: "s3: a range past the end", method: "GET", path: "/garbage-bucket/o", headers: { ...s3, range: "bytes=100-200" }, code: "InvalidRange", status: 416 },
  { label: "s3: a range start beyond 2^64", method: "GET", path: "/garbage-bucket/o", headers: { ...s3, range: "bytes=99999999999999999999999-" }, code: "InvalidRange", status: 416 },
  { label: "s3: a Content-MD5 that is not base64 MD5", method: "PUT", path: "/garbage-bucket/o2", headers: { ...s3, "content-md5": "!!!" }, body: "x", code: "InvalidDigest", status: 400 },
  { label: "s3: a wrong Content-MD5", method: "PUT", path: "/garbage-bucket/o2", headers: { ...s3, "content-md5": "AAAAAAAAAAAAAAAAAAAAAA==" }, body: "x", code: "BadDigest", status: 400 },
  { label: "s3: a bad checksum header", method: "PUT", path: "/garbage-bucket/o2", headers: { ...s3, "x-amz-checksum-crc32": "zzzz" }, body: "x", code: "InvalidRequest", status: 400 },
  { label: "s3: a tagging header that is not URL-encoded", method: "PUT", path: "/garbage-bucket/o2", headers: { ...s3, "x-amz-tagging": "a=%zz&&=&b" }, body: "x", code: "InvalidArgument", status: 400 },
  { label: "s3: a copy source that is not percent-encoded", method: "PUT", path: "/garbage-bucket/o3", headers: { ...s3, "x-amz-copy-source": "%zz" }, code: "InvalidArgument", status: 400 },
  { label: "s3: a key of 60,000 bytes", method: "PUT", path: `/garbage-bucket/${"k".repeat(60_000)}`, headers: s3, body: "x", code: "KeyTooLongError", status: 400 },
  { label: "s3: a key that is not UTF-8", method: "PUT", path: "/garbage-bucket/%ff%fe", headers: s3, body: "x", code: "InvalidURI", status: 400 },
  { label: "s3: a bucket name of 300 characters", method: "PUT", path: `/${"b".repeat(300)}`, headers: s3, code: "InvalidBucketName", status: 400 },
  { label: "s3: a continuation token that is none", method: "GET", path: "/garbage-bucket?list-type=2&continuation-token=%ff%ff", headers: s3, code: "InvalidArgument", status: 400 },
  { label: "s3: a part number beyond 32 bits", method: "GET", path: "/garbage-bucket/o?partNumber=99999999999", headers: s3, code: "InvalidArgument", status: 400 },
  // aws-chunked
  { label: "chunked: a chunk size that is not hex", method: "PUT", path: "/garbage-bucket/c1", headers: chunked(), body: `zz;chunk-signature=${SIG}\r\nhello\r\n0;chunk-signature=${SIG}\r\n\r\n`, code: "IncompleteBody", status: 400 },
  { label: "chunked: a chunk size beyond the body", method: "PUT", path: "/garbage-bucket/c2", headers: chunked(), body: `ffffffff;chunk-signature=${SIG}\r\nhello\r\n`, code: "IncompleteBody", status: 400 },
  { label: "chunked: a chunk shorter than its size", method: "PUT", path: "/garbage-bucket/c3", headers: chunked(), body: `3;chunk-signature=${SIG}\r\nhello\r\n0;chunk-signature=${SIG}\r\n\r\n`, code: "IncompleteBody", status: 400 },
  { label: "chunked: a negative chunk size", method: "PUT", path: "/garbage-bucket/c4", headers: chunked(), body: "-5;chunk-signature=x\r\nhello\r\n0;chunk-signature=x\r\n\r\n", code: "IncompleteBody", status: 400 },
  { label: "chunked: no chunk signature", method: "PUT", path: "/garbage-bucket/c5", headers: chunked(), body: "5\r\nhello\r\n0\r\n\r\n", code: "IncompleteBody", status: 400 },
  { label: "chunked: a 200 KB chunk header", method: "PUT", path: "/garbage-bucket/c6", headers: chunked(), body: `5;${big}\r\nhello\r\n0\r\n\r\n`, code: "IncompleteBody", status: 400 },
  { label: "chunked: a decoded length that disagrees", method: "PUT", path: "/garbage-bucket/c7", headers: chunked({ "x-amz-decoded-content-length": "99" }), body: `5;chunk-signature=${SIG}\r\nhello\r\n0;chunk-signature=${SIG}\r\n\r\n`, code: "IncompleteBody", status: 400 },
  {
    label: "chunked: a trailing checksum that does not match",
    method: "PUT",
    path: "/garbage-bucket/c8",
    headers: { ...s3, "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "5", "x-amz-trailer": "x-amz-checksum-crc32" },
    body: "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
    code: "BadDigest",
    status: 400,
  },
];

function errorCode(label: string, status: number, headers: Headers, body: Buffer): string {
  assert.ok(status >= 400 && status < 500, `${label}: status ${status} ${body.toString("utf8").slice(0, 300)}`);
  assert.ok(headers.get("x-amzn-requestid") || headers.get("x-amz-request-id"), `${label}: no request id`);
  const type = headers.get("content-type") ?? "";
  assert.doesNotMatch(type, /html/i, `${label}: HTML answer`);
  if (type.includes("cbor")) return String((decodeCbor(body) as Record<string, unknown>).__type);
  if (type.includes("json")) {
    // (KMS's InvalidCiphertextException has no message, as on AWS.)
    const document = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    const code = document.__type ?? headers.get("x-amzn-errortype");
    assert.equal(typeof code, "string", `${label}: JSON error without a code`);
    return String(code);
  }
  assert.match(type, /xml/, `${label}: content-type ${type}`);
  const root = parseXml(body.toString("utf8"));
  const error = root.name === "Error" ? root : (root.children.find((c) => c.name === "Error") ?? root.children.find((c) => c.name === "Errors")?.children[0]);
  assert.ok(error, `${label}: XML without an Error element`);
  assert.ok(error!.children.some((c) => c.name === "Message"), `${label}: no Message`);
  return error!.children.find((c) => c.name === "Code")?.text ?? "";
}

describe("robustness: bad input on every parse path gets a 4xx AWS error", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    const client = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: "garbage-bucket" }));
    await client.send(new PutObjectCommand({ Bucket: "garbage-bucket", Key: "o", Body: "hello world" }));
  });
  after(() => stratus.stop());

  for (const c of CASES) {
    it(c.label, async () => {
      const method = c.method ?? "POST";
      const response = await fetch(`${stratus.endpoint}${c.path ?? "/"}`, { method, headers: c.headers, body: method === "GET" ? undefined : (c.body as BodyInit | undefined) });
      const body = Buffer.from(await response.arrayBuffer());
      const code = errorCode(c.label, response.status, response.headers, body);
      if (c.status !== undefined) assert.equal(response.status, c.status, `${c.label}: ${body.toString("utf8").slice(0, 300)}`);
      if (c.code !== undefined) assert.equal(code.replace(/^.*#/, ""), c.code, c.label);
    });
  }

  it("skips null items of dense JSON lists rather than failing (KMS CreateKey with Tags [null])", async () => {
    const response = await fetch(`${stratus.endpoint}/`, { method: "POST", headers: kms("CreateKey"), body: '{"Description":"nulls","Tags":[null]}' });
    assert.equal(response.status, 200);
    const keyId = ((await response.json()) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    assert.deepEqual((await new KMSClient(sdkConfig(stratus)).send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags, []);
  });

  it("keeps serving real clients afterwards, with nothing half-made", async () => {
    assert.equal((await new STSClient(sdkConfig(stratus)).send(new GetCallerIdentityCommand({}))).Account, "000000000000");
    const client = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    assert.equal(await (await client.send(new GetObjectCommand({ Bucket: "garbage-bucket", Key: "o" }))).Body!.transformToString(), "hello world");
    for (const key of ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "o2", "o3"]) {
      await assert.rejects(client.send(new GetObjectCommand({ Bucket: "garbage-bucket", Key: key })), (e: any) => e.name === "NoSuchKey", key);
    }
    assert.deepEqual((await new EC2Client(sdkConfig(stratus)).send(new DescribeInstancesCommand({}))).Reservations, []);
    assert.ok((await new KMSClient(sdkConfig(stratus)).send(new CreateKeyCommand({}))).KeyMetadata?.KeyId);
  });
});
