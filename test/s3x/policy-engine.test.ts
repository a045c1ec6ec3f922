import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicy, parseBucketPolicy, type PolicyRequest, type Requester } from "../../src/services/s3/access/policy.js";
import { isAclPublic, isPolicyPublic } from "../../src/services/s3/access/public.js";
import { ipInCidr } from "../../src/services/s3/access/conditions.js";

const B = "models";
const owner: Requester = { anonymous: false, account: "000000000000", arn: "arn:aws:iam::000000000000:root" };
const other: Requester = { anonymous: false, account: "111111111111", arn: "arn:aws:iam::111111111111:root" };
const anon: Requester = { anonymous: true, account: "", arn: "" };
const roleSession: Requester = { anonymous: false, account: "111111111111", arn: "arn:aws:sts::111111111111:assumed-role/reader/s1" };

function policy(...statements: object[]) {
  return parseBucketPolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), B);
}
function req(requester: Requester, action: string, key?: string, context: PolicyRequest["context"] = {}): PolicyRequest {
  return { requester, action, resource: key === undefined ? `arn:aws:s3:::${B}` : `arn:aws:s3:::${B}/${key}`, context };
}
function malformed(text: string, message: string | RegExp) {
  assert.throws(() => parseBucketPolicy(text, B), (e: any) => {
    assert.equal(e.code, "MalformedPolicy");
    assert.equal(e.status, 400);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe("bucket policy validation", () => {
  const ok = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` };
  it("accepts a well-formed policy", () => {
    assert.equal(policy(ok).statements.length, 1);
  });
  it("rejects what S3 rejects, with S3's messages", () => {
    malformed("not json", "Policies must be valid JSON and the first byte must be '{'");
    malformed("{ bad", "This policy contains invalid Json");
    malformed(JSON.stringify({ Version: "2012-10-17" }), "Missing required field Statement");
    malformed(JSON.stringify({ Statement: [{ ...ok, Effect: "hello" }] }), "Invalid effect: hello");
    malformed(JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` }] }), "Missing required field Principal");
    malformed(JSON.stringify({ Statement: [{ ...ok, Principal: { AWS: "user" } }] }), "Invalid principal in policy");
    malformed(JSON.stringify({ Statement: [{ ...ok, Action: "invalid_action" }] }), "Policy has invalid action");
    malformed(JSON.stringify({ Statement: [{ ...ok, Action: "s3:GetObjekt" }] }), "Policy has invalid action");
    malformed(JSON.stringify({ Statement: [{ ...ok, Resource: "*" }] }), "Policy has invalid resource");
    malformed(JSON.stringify({ Statement: [{ ...ok, Resource: "arn:aws:s3:::other-bucket/*" }] }), "Policy has invalid resource");
    malformed(JSON.stringify({ Statement: [{ ...ok, Action: "s3:PutObject", Resource: `arn:aws:s3:::${B}` }] }), "Action does not apply to any resource(s) in statement");
    malformed(JSON.stringify({ Statement: [{ ...ok, Action: "s3:ListBucket", Resource: `arn:aws:s3:::${B}/*` }] }), "Action does not apply to any resource(s) in statement");
    malformed(JSON.stringify({ Statement: [{ ...ok, Condition: { StringEqualz: { "aws:SourceIp": "x" } } }] }), /Invalid Condition type/);
    malformed(JSON.stringify({ Statement: [{ ...ok, Condition: { StringEquals: { "foo:bar": "x" } } }] }), "Policy has an invalid condition key");
    malformed("{" + " ".repeat(21 * 1024) + "}", "Policy exceeds the maximum allowed document size.");
  });
});

describe("bucket policy evaluation", () => {
  it("grants anonymous reads with Principal * and nothing else", () => {
    const p = policy({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/public/*` });
    assert.equal(evaluatePolicy(p, req(anon, "s3:GetObject", "public/a.txt")), "Allow");
    assert.equal(evaluatePolicy(p, req(anon, "s3:GetObject", "private/a.txt")), "Neutral");
    assert.equal(evaluatePolicy(p, req(anon, "s3:PutObject", "public/a.txt")), "Neutral");
  });
  it("matches account, root, role and session principals", () => {
    const p = policy(
      { Sid: "acct", Effect: "Allow", Principal: { AWS: "111111111111" }, Action: "s3:ListBucket", Resource: `arn:aws:s3:::${B}` },
      { Sid: "role", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/reader" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` },
    );
    assert.equal(evaluatePolicy(p, req(other, "s3:ListBucket")), "Allow");
    assert.equal(evaluatePolicy(p, req(roleSession, "s3:ListBucket")), "Allow");
    assert.equal(evaluatePolicy(p, req(roleSession, "s3:GetObject", "k")), "Allow");
    assert.equal(evaluatePolicy(p, req(other, "s3:GetObject", "k")), "Neutral");
    assert.equal(evaluatePolicy(p, req(anon, "s3:ListBucket")), "Neutral");
  });
  it("lets an explicit Deny beat an Allow, with action wildcards and NotAction", () => {
    const p = policy(
      { Effect: "Allow", Principal: "*", Action: "s3:Get*", Resource: `arn:aws:s3:::${B}/*` },
      { Effect: "Deny", Principal: "*", NotAction: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `arn:aws:s3:::${B}/*` },
    );
    assert.equal(evaluatePolicy(p, req(anon, "s3:GetObject", "a")), "Allow");
    assert.equal(evaluatePolicy(p, req(anon, "s3:GetObjectTagging", "a")), "Deny");
    assert.equal(evaluatePolicy(p, req(owner, "s3:PutObject", "a")), "Deny");
  });
  it("evaluates NotResource and action names case-insensitively", () => {
    const p = policy({ Effect: "Deny", Principal: "*", Action: "S3:DELETEOBJECT", NotResource: `arn:aws:s3:::${B}/tmp/*` });
    assert.equal(evaluatePolicy(p, req(owner, "s3:DeleteObject", "models/a")), "Deny");
    assert.equal(evaluatePolicy(p, req(owner, "s3:DeleteObject", "tmp/a")), "Neutral");
  });
  it("applies conditions: SecureTransport, SourceIp, prefix, max-keys, PrincipalAccount, ArnLike, Null, IfExists, sets", () => {
    const insecure = policy({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } });
    assert.equal(evaluatePolicy(insecure, req(owner, "s3:GetObject", "a", { "aws:securetransport": "false" })), "Deny");
    assert.equal(evaluatePolicy(insecure, req(owner, "s3:GetObject", "a", { "aws:securetransport": "true" })), "Neutral");

    const ip = policy({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*`, Condition: { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"] }, NotIpAddress: { "aws:SourceIp": "10.1.2.3/32" } } });
    assert.equal(evaluatePolicy(ip, req(anon, "s3:GetObject", "a", { "aws:sourceip": "10.9.9.9" })), "Allow");
    assert.equal(evaluatePolicy(ip, req(anon, "s3:GetObject", "a", { "aws:sourceip": "10.1.2.3" })), "Neutral");
    assert.equal(evaluatePolicy(ip, req(anon, "s3:GetObject", "a", { "aws:sourceip": "2001:db8::1" })), "Allow");
    assert.equal(evaluatePolicy(ip, req(anon, "s3:GetObject", "a", { "aws:sourceip": "127.0.0.1" })), "Neutral");

    const listing = policy({ Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${B}`, Condition: { StringLike: { "s3:prefix": ["home/*", ""] }, StringEquals: { "s3:delimiter": "/" }, NumericLessThanEquals: { "s3:max-keys": "100" } } });
    assert.equal(evaluatePolicy(listing, req(anon, "s3:ListBucket", undefined, { "s3:prefix": "home/alice/", "s3:delimiter": "/", "s3:max-keys": "50" })), "Allow");
    assert.equal(evaluatePolicy(listing, req(anon, "s3:ListBucket", undefined, { "s3:prefix": "etc/", "s3:delimiter": "/", "s3:max-keys": "50" })), "Neutral");
    assert.equal(evaluatePolicy(listing, req(anon, "s3:ListBucket", undefined, { "s3:prefix": "home/a", "s3:delimiter": "/", "s3:max-keys": "1000" })), "Neutral");
    assert.equal(evaluatePolicy(listing, req(anon, "s3:ListBucket", undefined, { "s3:prefix": "home/a", "s3:max-keys": "10" })), "Neutral");

    const account = policy({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: `arn:aws:s3:::${B}/*`, Condition: { StringNotEquals: { "aws:PrincipalAccount": "000000000000" } } });
    assert.equal(evaluatePolicy(account, req(owner, "s3:GetObject", "a", { "aws:principalaccount": "000000000000" })), "Neutral");
    assert.equal(evaluatePolicy(account, req(other, "s3:GetObject", "a", { "aws:principalaccount": "111111111111" })), "Deny");
    // A negated operator holds when the key is absent (anonymous callers have no account).
    assert.equal(evaluatePolicy(account, req(anon, "s3:GetObject", "a", {})), "Deny");

    const arn = policy({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*`, Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::111111111111:role/read*" } } });
    assert.equal(evaluatePolicy(arn, req(other, "s3:GetObject", "a", { "aws:principalarn": "arn:aws:iam::111111111111:role/reader" })), "Allow");
    assert.equal(evaluatePolicy(arn, req(other, "s3:GetObject", "a", { "aws:principalarn": "arn:aws:iam::111111111111:role/writer" })), "Neutral");

    const nul = policy({ Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${B}/*`, Condition: { Null: { "s3:x-amz-server-side-encryption": "true" } } });
    assert.equal(evaluatePolicy(nul, req(owner, "s3:PutObject", "a", {})), "Deny");
    assert.equal(evaluatePolicy(nul, req(owner, "s3:PutObject", "a", { "s3:x-amz-server-side-encryption": "AES256" })), "Neutral");

    // ...IfExists holds when the key is absent; the plain operator does not.
    const ifExists = policy({ Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${B}/*`, Condition: { StringEqualsIfExists: { "s3:x-amz-storage-class": "STANDARD" } } });
    assert.equal(evaluatePolicy(ifExists, req(other, "s3:PutObject", "a", {})), "Allow");
    assert.equal(evaluatePolicy(ifExists, req(other, "s3:PutObject", "a", { "s3:x-amz-storage-class": "GLACIER" })), "Neutral");
    const plain = policy({ Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${B}/*`, Condition: { StringEquals: { "s3:x-amz-storage-class": "STANDARD" } } });
    assert.equal(evaluatePolicy(plain, req(other, "s3:PutObject", "a", {})), "Neutral");

    const sets = policy({ Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${B}/*`, Condition: { "ForAllValues:StringEquals": { "s3:requestobjecttagkeys": ["team", "env"] } } });
    assert.equal(evaluatePolicy(sets, req(owner, "s3:PutObject", "a", { "s3:requestobjecttagkeys": ["team"] })), "Allow");
    assert.equal(evaluatePolicy(sets, req(owner, "s3:PutObject", "a", { "s3:requestobjecttagkeys": ["team", "owner"] })), "Neutral");
  });
  it("substitutes policy variables in resources", () => {
    const p = policy({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/home/\${aws:username}/*` });
    assert.equal(evaluatePolicy(p, req(other, "s3:GetObject", "home/alice/x", { "aws:username": "alice" })), "Allow");
    assert.equal(evaluatePolicy(p, req(other, "s3:GetObject", "home/bob/x", { "aws:username": "alice" })), "Neutral");
  });
  it("matches CIDRs for IPv4, IPv6 and v4-mapped addresses", () => {
    assert.ok(ipInCidr("192.168.1.7", "192.168.1.0/24"));
    assert.ok(!ipInCidr("192.168.2.7", "192.168.1.0/24"));
    assert.ok(ipInCidr("::ffff:127.0.0.1", "127.0.0.0/8"));
    assert.ok(ipInCidr("::1", "::1/128"));
    assert.ok(!ipInCidr("not-an-ip", "0.0.0.0/0"));
  });
});

describe("what counts as public", () => {
  const stmt = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` };
  it("calls Principal * public and a fixed principal not public", () => {
    assert.equal(isPolicyPublic(policy(stmt)), true);
    assert.equal(isPolicyPublic(policy({ ...stmt, Principal: { AWS: "*" } })), true);
    assert.equal(isPolicyPublic(policy({ ...stmt, Principal: { AWS: "111111111111" } })), false);
    assert.equal(isPolicyPublic(policy({ ...stmt, Principal: { Service: "cloudfront.amazonaws.com" } })), false);
    assert.equal(isPolicyPublic(policy({ ...stmt, Effect: "Deny" })), false);
  });
  it("treats fixing conditions as restricting, wildcards and wide CIDRs as not", () => {
    assert.equal(isPolicyPublic(policy({ ...stmt, Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } })), false);
    assert.equal(isPolicyPublic(policy({ ...stmt, Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/1" } } })), true);
    assert.equal(isPolicyPublic(policy({ ...stmt, Condition: { StringEquals: { "aws:SourceAccount": "111111111111" } } })), false);
    assert.equal(isPolicyPublic(policy({ ...stmt, Condition: { StringLike: { "aws:SourceVpce": "vpce-*" } } })), true);
    assert.equal(isPolicyPublic(policy({ ...stmt, Condition: { StringEquals: { "s3:prefix": "a" } } })), true);
  });
  it("calls AllUsers and AuthenticatedUsers grants public", () => {
    assert.equal(isAclPublic([{ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" }]), true);
    assert.equal(isAclPublic([{ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" }, Permission: "READ" }]), true);
    assert.equal(isAclPublic([{ Grantee: { Type: "CanonicalUser", ID: "a".repeat(64) }, Permission: "FULL_CONTROL" }]), false);
  });
});
