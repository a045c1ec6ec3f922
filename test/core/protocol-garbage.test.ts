/**
 * Garbage in, AWS-shaped errors out: random bytes, truncated and oversized
 * bodies, huge headers, wrong content types, bad XML/JSON/CBOR, unknown
 * actions and targets, missing parameters. Every answer must be an error in
 * the protocol's own form (XML, JSON or CBOR) with a request id, never HTML,
 * never a 500, and the server must keep serving afterwards.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { decodeCbor } from "../../src/protocol/cbor.js";
import { parseXml } from "../../src/protocol/xml.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

/** A small seeded PRNG, so that a failing case can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}

function auth(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;
}

interface Target {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  valid: Buffer;
}

const TARGETS: Target[] = [
  { name: "sts query", method: "POST", path: "/", headers: { "content-type": "application/x-www-form-urlencoded", authorization: auth("sts") }, valid: Buffer.from("Action=GetCallerIdentity&Version=2011-06-15") },
  { name: "iam query", method: "POST", path: "/", headers: { "content-type": "application/x-www-form-urlencoded", authorization: auth("iam") }, valid: Buffer.from("Action=CreateRole&Version=2010-05-08&RoleName=fuzz&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key=k") },
  { name: "ec2", method: "POST", path: "/", headers: { "content-type": "application/x-www-form-urlencoded", authorization: auth("ec2") }, valid: Buffer.from("Action=DescribeRegions&Version=2016-11-15&RegionName.1=us-east-1") },
  { name: "kms json", method: "POST", path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.CreateKey", authorization: auth("kms") }, valid: Buffer.from('{"Description":"k","Tags":[{"TagKey":"a","TagValue":"b"}]}') },
  { name: "cloudwatch json", method: "POST", path: "/", headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "GraniteServiceVersion20100801.PutMetricData", "x-amzn-query-mode": "true", authorization: auth("monitoring") }, valid: Buffer.from('{"Namespace":"n","MetricData":[{"MetricName":"m","Value":1}]}') },
  {
    name: "cloudwatch cbor",
    method: "POST",
    path: "/service/GraniteServiceVersion20100801/operation/PutMetricData",
    headers: { "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor", authorization: auth("monitoring") },
    valid: Buffer.from("a2694e616d657370616365616e6a4d65747269634461746181a26a4d65747269634e616d65616d6556616c7565fb3ff0000000000000", "hex"),
  },
  { name: "dlm rest-json", method: "POST", path: "/policies", headers: { "content-type": "application/json", authorization: auth("dlm") }, valid: Buffer.from('{"Description":"d","State":"ENABLED","ExecutionRoleArn":"arn:aws:iam::000000000000:role/r","PolicyDetails":{"ResourceTypes":["VOLUME"]}}') },
  { name: "s3 rest-xml", method: "PUT", path: "/fuzz-bucket?tagging", headers: { "content-type": "application/xml", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", authorization: auth("s3") }, valid: Buffer.from("<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>") },
];

const CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json", "application/x-amz-json-1.0", "application/cbor", "application/xml", "text/html", "multipart/form-data; boundary=x", "", "\u00ff\u00fe"];

/** Checks that a response is an AWS-shaped error and returns its code. */
function assertAwsError(label: string, status: number, headers: Headers, body: Buffer): string {
  assert.ok(status >= 400 && status < 600, `${label}: status ${status}`);
  assert.notEqual(status, 500, `${label}: 500 ${body.toString("utf8").slice(0, 300)}`);
  assert.ok(headers.get("x-amzn-requestid"), `${label}: no request id`);
  const type = headers.get("content-type") ?? "";
  assert.doesNotMatch(type, /html/i, `${label}: HTML answer`);
  let code: unknown;
  if (type.includes("cbor")) {
    const document = decodeCbor(body) as Record<string, unknown>;
    code = document.__type ?? headers.get("x-amzn-errortype");
  } else if (type.includes("json")) {
    const document = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    code = document.__type ?? document.code ?? headers.get("x-amzn-errortype");
    assert.equal(typeof document.message, "string", `${label}: JSON error without a message`);
  } else {
    assert.match(type, /xml/, `${label}: content-type ${type}`);
    const root = parseXml(body.toString("utf8"));
    const error = root.name === "Error" ? root : (root.children.find((c) => c.name === "Error") ?? root.children.find((c) => c.name === "Errors")?.children[0]);
    assert.ok(error, `${label}: XML without an Error element: ${body.toString("utf8").slice(0, 200)}`);
    code = error!.children.find((c) => c.name === "Code")?.text;
    assert.ok(error!.children.find((c) => c.name === "Message"), `${label}: XML error without a Message`);
  }
  assert.equal(typeof code, "string", `${label}: no error code`);
  return code as string;
}

async function call(endpoint: string, method: string, path: string, headers: Record<string, string>, body?: Buffer) {
  const response = await fetch(`${endpoint}${path}`, { method, headers, body: method === "GET" || method === "HEAD" ? undefined : (body as BodyInit | undefined) });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

function rawExchange(port: number, payload: Buffer | string, closeAfterMs?: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(payload);
      if (closeAfterMs !== undefined) setTimeout(() => socket.destroy(), closeAfterMs);
    });
    let received = "";
    socket.on("data", (d) => (received += d.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(received));
    socket.setTimeout(5000, () => socket.destroy());
  });
}

describe("protocol hardening: garbage in, AWS errors out", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus();
  });
  after(() => stratus.stop());

  it("answers random mutations of valid requests to every protocol with AWS-shaped errors", async () => {
    const seed = Number(process.env.STRATUS_FUZZ_SEED ?? 20251127);
    const rand = prng(seed);
    const seen = new Map<string, Set<string>>();
    for (let i = 0; i < 400; i++) {
      const target = rand.pick(TARGETS);
      const headers = { ...target.headers };
      let body = target.valid;
      let path = target.path;
      const mutation = rand.int(8);
      switch (mutation) {
        case 0: // random bytes
          body = rand.bytes(rand.int(2000));
          break;
        case 1: // truncated
          body = body.subarray(0, rand.int(body.length));
          break;
        case 2: // flipped bytes
          body = Buffer.from(body);
          for (let k = 0; k < 1 + rand.int(5); k++) body[rand.int(body.length)] = rand.int(256);
          break;
        case 3: // wrong content type
          headers["content-type"] = rand.pick(CONTENT_TYPES);
          break;
        case 4: // spliced garbage in the middle
          body = Buffer.concat([body.subarray(0, rand.int(body.length)), rand.bytes(1 + rand.int(40)), body.subarray(rand.int(body.length))]);
          break;
        case 5: // mangled path
          path = rand.pick(["/%", "/%zz", "/..%2F..%2Fetc", "/service/x/operation/", "/service/GraniteServiceVersion20100801/operation/%ff", "//", "/a?b=%", path + "%00"]);
          break;
        case 6: // unknown operation
          if (headers["x-amz-target"]) headers["x-amz-target"] = headers["x-amz-target"].replace(/\.\w+$/, ".NoSuchOperation");
          else if (path.startsWith("/service/")) path = path.replace(/\w+$/, "NoSuchOperation");
          else body = Buffer.from(body.toString("latin1").replace(/Action=\w+/, "Action=NoSuchAction"));
          break;
        case 7: // declared gzip that is not
          headers["content-encoding"] = "gzip";
          break;
      }
      const label = `seed ${seed} #${i} ${target.name} mutation ${mutation}`;
      const response = await call(stratus.endpoint, target.method, path, headers, body);
      if (response.status < 400) continue; // a mutation can still be a valid request
      const code = assertAwsError(label, response.status, response.headers, response.body);
      if (!seen.has(target.name)) seen.set(target.name, new Set());
      seen.get(target.name)!.add(code);
    }
    // Every protocol was hit and answered with errors of its own.
    assert.equal(seen.size, TARGETS.length);
  });

  it("names the problem for the classic mistakes", async () => {
    const cases: Array<{ label: string; method?: string; path?: string; headers: Record<string, string>; body?: string | Buffer; code: string; status: number }> = [
      { label: "query without Action", headers: TARGETS[0].headers, body: "Version=2011-06-15", code: "MissingAction", status: 400 },
      { label: "query unknown action", headers: TARGETS[1].headers, body: "Action=Nope&Version=2010-05-08", code: "InvalidAction", status: 400 },
      { label: "query missing parameter", headers: TARGETS[1].headers, body: "Action=CreateRole&Version=2010-05-08", code: "ValidationError", status: 400 },
      { label: "ec2 unknown action", headers: TARGETS[2].headers, body: "Action=Nope&Version=2016-11-15", code: "InvalidAction", status: 400 },
      { label: "json bad JSON", headers: TARGETS[3].headers, body: "{not json", code: "SerializationException", status: 400 },
      { label: "json wrong type", headers: TARGETS[3].headers, body: '{"Description": 5}', code: "SerializationException", status: 400 },
      { label: "json unknown target", headers: { ...TARGETS[3].headers, "x-amz-target": "TrentService.Nope" }, body: "{}", code: "UnknownOperationException", status: 400 },
      { label: "cbor malformed", path: TARGETS[5].path, headers: TARGETS[5].headers, body: Buffer.from([0xbf, 0x61]), code: "SerializationException", status: 400 },
      { label: "rest-json bad JSON", path: "/policies", headers: TARGETS[6].headers, body: "{{", code: "SerializationException", status: 400 },
      { label: "rest-xml bad XML", method: "PUT", path: "/fuzz-bucket?tagging", headers: TARGETS[7].headers, body: "<Tagging><TagSet>", code: "MalformedXML", status: 400 },
      { label: "rest-xml DTD (no XXE)", method: "PUT", path: "/fuzz-bucket?tagging", headers: TARGETS[7].headers, body: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Tagging>&e;</Tagging>', code: "MalformedXML", status: 400 },
      { label: "bad percent-encoding in an S3 path", method: "GET", path: "/%zz", headers: { authorization: auth("s3") }, code: "InvalidURI", status: 400 },
      { label: "unknown service", headers: { authorization: auth("lambda") }, body: "x", code: "NotImplemented", status: 501 },
      { label: "malformed Authorization", headers: { authorization: "AWS4-HMAC-SHA256 Credential=broken" }, body: "", code: "IncompleteSignature", status: 400 },
    ];
    for (const c of cases) {
      const response = await call(stratus.endpoint, c.method ?? "POST", c.path ?? "/", c.headers, c.body === undefined ? undefined : Buffer.from(c.body));
      assert.equal(response.status, c.status, `${c.label}: ${response.body.toString("utf8").slice(0, 200)}`);
      assert.equal(assertAwsError(c.label, response.status, response.headers, response.body), c.code, c.label);
    }
  });

  it("survives broken HTTP: non-HTTP bytes, cut-off bodies, huge headers, huge declared bodies", async () => {
    const rand = prng(7);
    const garbage = await rawExchange(stratus.port, rand.bytes(600));
    assert.match(garbage, /^HTTP\/1\.1 400 /);
    assert.match(garbage, /<Code>BadRequest<\/Code>/);

    // A body cut short by the client going away: nothing to answer, nothing to crash.
    await rawExchange(stratus.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nAction=GetCaller", 50);

    const huge = await rawExchange(stratus.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(80_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assert.match(huge, /<Code>RequestHeaderSectionTooLarge<\/Code>/);

    const tooBig = await rawExchange(
      stratus.port,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nAuthorization: ${auth("kms")}\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n{}`,
      2000,
    );
    assert.match(tooBig, /^HTTP\/1\.1 413 /);
    assert.match(tooBig, /RequestEntityTooLarge/);
  });

  it("still serves real clients afterwards", async () => {
    const identity = await new STSClient(sdkConfig(stratus)).send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Account, "000000000000");
    const health = await fetch(`${stratus.endpoint}/_stratus/health`);
    assert.equal(health.status, 200);
  });
});
