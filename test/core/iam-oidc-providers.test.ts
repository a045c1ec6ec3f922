/**
 * IAM OpenID Connect providers through SDK v3 and the aws CLI: the URL
 * normalised into the ARN, client ids and thumbprints, tags, AWS's errors
 * and limits, state that survives a restart, and
 * GetAccountAuthorizationDetails left as it was.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  DeleteOpenIDConnectProviderCommand,
  GetAccountAuthorizationDetailsCommand,
  GetOpenIDConnectProviderCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  ListOpenIDConnectProviderTagsCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagOpenIDConnectProviderCommand,
  UntagOpenIDConnectProviderCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
} from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

const THUMB_A = "a".repeat(40);
const THUMB_B = "b".repeat(40);

async function rejects(promise: Promise<unknown>, code: string, status: number, message?: string): Promise<void> {
  await assert.rejects(promise, (error: any) => {
    assert.equal(error.Code ?? error.name, code, error.message);
    assert.equal(error.$metadata.httpStatusCode, status);
    if (message !== undefined) assert.equal(error.message, message);
    return true;
  });
}

describe("IAM OpenID Connect providers", () => {
  let stratus: RunningStratus;
  let iam: IAMClient;
  before(async () => {
    stratus = await startTestStratus();
    iam = new IAMClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  it("creates, reads, lists and deletes providers named by their URL without the scheme", async () => {
    const created = await iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: "https://Token.Example.com/tenant-1/", ClientIDList: ["sts.amazonaws.com"], ThumbprintList: [THUMB_A], Tags: [{ Key: "team", Value: "ml" }] }),
    );
    const arn = "arn:aws:iam::000000000000:oidc-provider/token.example.com/tenant-1";
    assert.equal(created.OpenIDConnectProviderArn, arn);
    assert.deepEqual(created.Tags, [{ Key: "team", Value: "ml" }]);
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    assert.equal(got.Url, "token.example.com/tenant-1");
    assert.deepEqual(got.ClientIDList, ["sts.amazonaws.com"]);
    assert.deepEqual(got.ThumbprintList, [THUMB_A]);
    assert.deepEqual(got.Tags, [{ Key: "team", Value: "ml" }]);
    assert.ok(got.CreateDate instanceof Date);

    // No thumbprint and no client id: both optional, as IAM has them now.
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://a.example.com" }));
    const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    assert.deepEqual(
      listed.OpenIDConnectProviderList!.map((p) => p.Arn),
      ["arn:aws:iam::000000000000:oidc-provider/a.example.com", arn],
    );
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: "arn:aws:iam::000000000000:oidc-provider/a.example.com" }));
    await rejects(
      iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: "arn:aws:iam::000000000000:oidc-provider/a.example.com" })),
      "NoSuchEntity",
      404,
      "OpenId connect Provider arn:aws:iam::000000000000:oidc-provider/a.example.com cannot be found.",
    );
    await rejects(
      iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: "arn:aws:iam::000000000000:oidc-provider/a.example.com" })),
      "NoSuchEntity",
      404,
      "OpenIDConnect Provider not found for arn arn:aws:iam::000000000000:oidc-provider/a.example.com",
    );
  });

  it("adds and removes client ids idempotently, replaces thumbprints, tags and untags", async () => {
    const arn = (await iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://ids.example.com", ClientIDList: ["one"] }))).OpenIDConnectProviderArn!;
    await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "two" }));
    await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "two" }));
    await iam.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "one" }));
    await iam.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "never-there" }));
    await iam.send(new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: arn, ThumbprintList: [THUMB_A, THUMB_B] }));
    await iam.send(new TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, Tags: [{ Key: "k1", Value: "v1" }, { Key: "k2", Value: "v2" }] }));
    await iam.send(new UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, TagKeys: ["k2"] }));
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    assert.deepEqual(got.ClientIDList, ["two"]);
    assert.deepEqual(got.ThumbprintList, [THUMB_A, THUMB_B]);
    const tags = await iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn }));
    assert.deepEqual(tags.Tags, [{ Key: "k1", Value: "v1" }]);
    assert.equal(tags.IsTruncated, false);
  });

  it("answers AWS's errors: duplicates, bad URLs, too many thumbprints or client ids, unknown providers", async () => {
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://dup.example.com", ThumbprintList: [THUMB_A] }));
    await rejects(
      iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://dup.example.com", ThumbprintList: [THUMB_A] })),
      "EntityAlreadyExists",
      409,
      "Provider with url https://dup.example.com already exists.",
    );
    await rejects(iam.send(new CreateOpenIDConnectProviderCommand({ Url: "example.org", ThumbprintList: [THUMB_A] })), "ValidationError", 400, "Invalid Open ID Connect Provider URL");
    await rejects(iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://q.example.com/?x=1" })), "ValidationError", 400, "Invalid Open ID Connect Provider URL");
    await rejects(
      iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://thumbs.example.com", ThumbprintList: ["a", "b", "c", "d", "e", "f"].map((c) => c.repeat(40)) })),
      "InvalidInput",
      400,
      "Thumbprint list must contain fewer than 5 entries.",
    );
    await rejects(
      iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://clients.example.com", ClientIDList: Array.from({ length: 101 }, (_, i) => `c${i}`) })),
      "LimitExceeded",
      409,
      "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
    );
    await rejects(iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://short.example.com", ThumbprintList: ["abc"] })), "ValidationError", 400);
    await rejects(
      iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: "arn:aws:iam::000000000000:oidc-provider/nowhere.example.com", ClientID: "x" })),
      "NoSuchEntity",
      404,
      "OpenIDConnect Provider not found for arn arn:aws:iam::000000000000:oidc-provider/nowhere.example.com",
    );
    const other = new IAMClient({ ...sdkConfig(stratus), credentials: { accessKeyId: "222222222222", secretAccessKey: "x" } });
    await rejects(other.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: "arn:aws:iam::000000000000:oidc-provider/dup.example.com" })), "NoSuchEntity", 404);
  });

  it("leaves GetAccountAuthorizationDetails as it was", async () => {
    const details = await iam.send(new GetAccountAuthorizationDetailsCommand({}));
    assert.deepEqual(Object.keys(details).filter((k) => /oidc|openid|provider/i.test(k)), []);
    assert.ok(Array.isArray(details.RoleDetailList));
  });

  it("works from the aws CLI", async () => {
    const created = await awsCli(stratus, ["iam", "create-open-id-connect-provider", "--url", "https://cli.example.com", "--client-id-list", "sts.amazonaws.com", "--thumbprint-list", THUMB_B]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.json().OpenIDConnectProviderArn, "arn:aws:iam::000000000000:oidc-provider/cli.example.com");
    const got = await awsCli(stratus, ["iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", "arn:aws:iam::000000000000:oidc-provider/cli.example.com"]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.json().Url, "cli.example.com");
  });
});

describe("IAM OpenID Connect providers on disk", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-oidc-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("survive a restart", async () => {
    const first = await startTestStratus({ storage: "disk", dataDir: dir });
    try {
      await new IAMClient(sdkConfig(first)).send(new CreateOpenIDConnectProviderCommand({ Url: "http://127.0.0.1:9999/issuer", ClientIDList: ["app"] }));
    } finally {
      await first.stop();
    }
    const second = await startTestStratus({ storage: "disk", dataDir: dir });
    try {
      const got = await new IAMClient(sdkConfig(second)).send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: "arn:aws:iam::000000000000:oidc-provider/127.0.0.1:9999/issuer" }));
      assert.deepEqual(got.ClientIDList, ["app"]);
      assert.ok(got.CreateDate instanceof Date);
    } finally {
      await second.stop();
    }
  });
});
