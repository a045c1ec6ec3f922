/**
 * sts:AssumeRoleWithWebIdentity against a tiny OpenID Connect issuer the test
 * runs (node:http serving openid-configuration and a JWKS; tokens signed with
 * node:crypto keys): unsigned requests, signature, exp, aud and issuer checks
 * in STS's error codes, the trust policy's Federated principal and its
 * <provider>:sub condition, credentials that act as the assumed role, and
 * the issuer's keys kept between calls. Through SDK v3, raw HTTP and the aws CLI.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const impostor = generateKeyPairSync("rsa", { modulusLength: 2048 });

/** A minimal OIDC issuer: discovery document and JWKS, counting how often they are fetched. */
async function startIssuer(): Promise<{ url: string; fetches: () => number; close: () => Promise<void> }> {
  let fetches = 0;
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const send = (body: object) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/.well-known/openid-configuration") {
      fetches++;
      return send({ issuer: base, jwks_uri: `${base}/keys`, id_token_signing_alg_values_supported: ["RS256", "ES256"] });
    }
    if (req.url === "/keys") {
      return send({
        keys: [
          { ...rsa.publicKey.export({ format: "jwk" }), kid: "rsa-1", alg: "RS256", use: "sig" },
          { ...ec.publicKey.export({ format: "jwk" }), kid: "ec-1", alg: "ES256", use: "sig" },
        ],
      });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fetches: () => fetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function jwt(claims: object, options: { key?: KeyObject; kid?: string; alg?: "RS256" | "ES256" } = {}): string {
  const alg = options.alg ?? "RS256";
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${encode({ alg, kid: options.kid ?? (alg === "ES256" ? "ec-1" : "rsa-1"), typ: "JWT" })}.${encode(claims)}`;
  const key = options.key ?? (alg === "ES256" ? ec.privateKey : rsa.privateKey);
  const signature = alg === "ES256" ? sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }) : sign("sha256", Buffer.from(input), key);
  return `${input}.${signature.toString("base64url")}`;
}

describe("AssumeRoleWithWebIdentity", () => {
  let stratus: RunningStratus;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let name: string;
  let providerArn: string;
  const roleArn = "arn:aws:iam::000000000000:role/ci-deployer";
  const now = () => Math.floor(stratus.clock.now().getTime() / 1000);
  const claims = (extra: object = {}) => ({ iss: issuer.url, aud: "ml-app", sub: "repo:ml/train:ref:main", iat: now(), exp: now() + 600, ...extra });
  const sts = () => new STSClient(sdkConfig(stratus));
  const assume = (token: string, extra: object = {}) =>
    sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: "ci-run", WebIdentityToken: token, ...extra }));
  const rejects = (promise: Promise<unknown>, code: string, status: number, message?: string | RegExp) =>
    assert.rejects(promise, (error: any) => {
      assert.equal(error.Code ?? error.name, code, error.message);
      assert.equal(error.$metadata.httpStatusCode, status);
      if (typeof message === "string") assert.equal(error.message, message);
      else if (message) assert.match(error.message, message);
      return true;
    });

  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    issuer = await startIssuer();
    name = issuer.url.slice("http://".length);
    const iam = new IAMClient(sdkConfig(stratus));
    providerArn = (await iam.send(new CreateOpenIDConnectProviderCommand({ Url: issuer.url, ClientIDList: ["ml-app"] }))).OpenIDConnectProviderArn!;
    const trust = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: providerArn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEquals: { [`${name}:aud`]: "ml-app" }, StringLike: { [`${name}:sub`]: "repo:ml/*" } },
        },
      ],
    };
    await iam.send(new CreateRoleCommand({ RoleName: "ci-deployer", AssumeRolePolicyDocument: JSON.stringify(trust), MaxSessionDuration: 7200 }));
  });
  after(async () => {
    await stratus.stop();
    await issuer.close();
  });

  it("answers a session for a valid token, whose credentials act as the assumed role", async () => {
    const out = await assume(jwt(claims()), { DurationSeconds: 7200 });
    assert.equal(providerArn, `arn:aws:iam::000000000000:oidc-provider/${name}`);
    assert.equal(out.SubjectFromWebIdentityToken, "repo:ml/train:ref:main");
    assert.equal(out.Audience, "ml-app");
    assert.equal(out.Provider, providerArn);
    assert.equal(out.AssumedRoleUser!.Arn, "arn:aws:sts::000000000000:assumed-role/ci-deployer/ci-run");
    assert.match(out.AssumedRoleUser!.AssumedRoleId!, /^AROA[A-Z2-7]{17}:ci-run$/);
    const lasts = out.Credentials!.Expiration!.getTime() - stratus.clock.now().getTime();
    assert.ok(lasts > 7190_000 && lasts <= 7200_000, `the session lasts DurationSeconds: ${lasts} ms`);
    const keys = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
    const who = await new STSClient({ ...sdkConfig(stratus), credentials: keys }).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Arn, "arn:aws:sts::000000000000:assumed-role/ci-deployer/ci-run");
    assert.equal(who.Account, "000000000000");
    // A real role session: the role has no permissions policy, so IAM refuses it.
    await rejects(new IAMClient({ ...sdkConfig(stratus), credentials: keys }).send(new ListRolesCommand({})), "AccessDenied", 403);
  });

  it("takes ES256 tokens and several audiences, and keeps the issuer's keys between calls", async () => {
    const before = issuer.fetches();
    await assume(jwt(claims(), { alg: "ES256" }));
    const several = await assume(jwt(claims({ aud: ["someone-else", "ml-app"] })));
    assert.equal(several.Audience, "ml-app");
    await assume(jwt(claims()));
    assert.equal(issuer.fetches(), before, "the keys fetched by the first call are kept");
  });

  it("needs no AWS signature: a raw unsigned POST is answered", async () => {
    const body = new URLSearchParams({ Action: "AssumeRoleWithWebIdentity", Version: "2011-06-15", RoleArn: roleArn, RoleSessionName: "raw", WebIdentityToken: jwt(claims()) });
    const response = await fetch(stratus.endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.match(text, /<Arn>arn:aws:sts::000000000000:assumed-role\/ci-deployer\/raw<\/Arn>/);
    assert.match(text, /<SubjectFromWebIdentityToken>repo:ml\/train:ref:main<\/SubjectFromWebIdentityToken>/);
  });

  it("is answered unsigned under --auth strict too, where every other unsigned request is refused", async () => {
    const keys = { accessKeyId: "AKIASTRICTWEBID00001", secretAccessKey: "strict-web-identity-secret-0123456789ab" };
    const strict = await startTestStratus({ auth: "strict", credentials: [keys] });
    try {
      const iam = new IAMClient({ ...sdkConfig(strict), credentials: keys });
      const provider = (await iam.send(new CreateOpenIDConnectProviderCommand({ Url: issuer.url, ClientIDList: ["ml-app"] }))).OpenIDConnectProviderArn!;
      const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: provider }, Action: "sts:AssumeRoleWithWebIdentity" }] };
      await iam.send(new CreateRoleCommand({ RoleName: "ci-deployer", AssumeRolePolicyDocument: JSON.stringify(trust) }));
      const post = (params: Record<string, string>) =>
        fetch(strict.endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ Version: "2011-06-15", ...params }) });
      const token = jwt({ iss: issuer.url, aud: "ml-app", sub: "repo:ml/train", iat: now(), exp: now() + 600 });
      const answered = await post({ Action: "AssumeRoleWithWebIdentity", RoleArn: roleArn, RoleSessionName: "strict", WebIdentityToken: token });
      assert.equal(answered.status, 200, await answered.clone().text());
      assert.match(await answered.text(), /assumed-role\/ci-deployer\/strict/);
      for (const Action of ["GetCallerIdentity", "AssumeRole", "NoSuchAction"]) {
        const refused = await post({ Action, RoleArn: roleArn, RoleSessionName: "x" });
        assert.equal(refused.status, 403, Action);
        assert.match(await refused.text(), /<Code>MissingAuthenticationToken<\/Code>/, Action);
      }
    } finally {
      await strict.stop();
    }
  });

  it("refuses a wrong audience, an expired token, a bad signature and garbage as InvalidIdentityToken / ExpiredTokenException", async () => {
    await rejects(assume(jwt(claims({ aud: "someone-else" }))), "InvalidIdentityToken", 400, "Incorrect token audience");
    const expiring = jwt(claims({ exp: now() + 60 }));
    await stratus.clock.advance("2m");
    await rejects(assume(expiring), "ExpiredTokenException", 400, /^Token expired: current date\/time \d+ must be before the expiration date\/time\d+$/);
    await rejects(assume(jwt(claims(), { key: impostor.privateKey })), "InvalidIdentityToken", 400);
    await rejects(assume("not.a-jwt"), "InvalidIdentityToken", 400, /not a valid JWT/);
    await rejects(assume(jwt(claims({ nbf: now() + 3600 }))), "InvalidIdentityToken", 400);
  });

  it("fetches the keys again for a key id it does not know, and refuses the token when the issuer has no such key", async () => {
    const before = issuer.fetches();
    await rejects(assume(jwt(claims(), { kid: "rotated-away" })), "InvalidIdentityToken", 400, /Couldn't retrieve verification key from your identity provider/);
    assert.equal(issuer.fetches(), before + 1);
  });

  it("refuses an issuer with no OIDC provider in the role's account, and answers IDPCommunicationError when the keys cannot be fetched", async () => {
    await rejects(assume(jwt(claims({ iss: "https://idp.example.com" }))), "InvalidIdentityToken", 400, "No OpenIDConnect provider found in your account for https://idp.example.com");
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const iam = new IAMClient(sdkConfig(stratus));
    const arn = (await iam.send(new CreateOpenIDConnectProviderCommand({ Url: unreachable, ClientIDList: ["ml-app"] }))).OpenIDConnectProviderArn!;
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: arn }, Action: "sts:AssumeRoleWithWebIdentity" }] });
    await iam.send(new CreateRoleCommand({ RoleName: "unreachable-idp", AssumeRolePolicyDocument: trust }));
    await rejects(
      sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: "arn:aws:iam::000000000000:role/unreachable-idp", RoleSessionName: "s1", WebIdentityToken: jwt(claims({ iss: unreachable })) })),
      "IDPCommunicationError",
      400,
    );
  });

  it("lets the trust policy decide: its <provider>:sub condition, the Federated principal, MaxSessionDuration", async () => {
    await rejects(assume(jwt(claims({ sub: "repo:other/app:ref:main" }))), "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
    const iam = new IAMClient(sdkConfig(stratus));
    await iam.send(
      new CreateRoleCommand({
        RoleName: "ec2-only",
        AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      }),
    );
    await rejects(
      sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: "arn:aws:iam::000000000000:role/ec2-only", RoleSessionName: "s1", WebIdentityToken: jwt(claims()) })),
      "AccessDenied",
      403,
    );
    await rejects(assume(jwt(claims()), { DurationSeconds: 7201 }), "ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  });

  it("works from the aws CLI", async () => {
    const result = await awsCli(stratus, ["sts", "assume-role-with-web-identity", "--role-arn", roleArn, "--role-session-name", "from-cli", "--web-identity-token", jwt(claims())]);
    assert.equal(result.code, 0, result.stderr);
    const out = result.json();
    assert.equal(out.AssumedRoleUser.Arn, "arn:aws:sts::000000000000:assumed-role/ci-deployer/from-cli");
    assert.equal(out.SubjectFromWebIdentityToken, "repo:ml/train:ref:main");
    assert.equal(out.Provider, providerArn);
  });
});
