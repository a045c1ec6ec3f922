/**
 * EC2's encoded authorization failure messages and STS
 * DecodeAuthorizationMessage, with SDK v3 and /usr/bin/aws: a user refused by
 * EC2 gets a sealed message; the account's root (or a user whose policies
 * allow sts:DecodeAuthorizationMessage) reads what was asked and why; a user
 * without that permission, another account, or an altered message is refused.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { DecodeAuthorizationMessageCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

type Credentials = { accessKeyId: string; secretAccessKey: string };
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe("encoded authorization failure messages", () => {
  let stratus: RunningStratus;
  let iam: IAMClient;
  const config = (credentials?: Credentials) => ({ ...sdkConfig(stratus), ...(credentials ? { credentials } : {}) });

  async function user(name: string): Promise<Credentials> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  }

  /** The encoded message of EC2's refusal of `credentials`. */
  async function refusal(credentials: Credentials): Promise<string> {
    const error: any = await new EC2Client(config(credentials)).send(new DescribeVolumesCommand({})).then(
      () => assert.fail("EC2 allowed the request"),
      (e) => e,
    );
    assert.equal(error.name, "UnauthorizedOperation");
    const match = /\. Encoded authorization failure message: ([A-Za-z0-9_-]+)$/.exec(error.message);
    assert.ok(match, error.message);
    return match[1];
  }

  before(async () => {
    stratus = await startTestStratus();
    iam = new IAMClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  it("seals what was refused; the account's root decodes it, with the aws CLI too", async () => {
    const bob = await user("bob");
    const encoded = await refusal(bob);
    const { DecodedMessage } = await new STSClient(config()).send(new DecodeAuthorizationMessageCommand({ EncodedMessage: encoded }));
    const decoded = JSON.parse(DecodedMessage!);
    assert.equal(decoded.allowed, false);
    assert.equal(decoded.explicitDeny, false);
    assert.equal(decoded.context.action, "ec2:DescribeVolumes");
    assert.equal(decoded.context.principal.arn, "arn:aws:iam::000000000000:user/bob");
    assert.equal(decoded.context.principal.name, "bob");
    assert.match(decoded.context.principal.id, /^AIDA/);
    const region = decoded.context.conditions.items.find((c: any) => c.key === "aws:requestedregion");
    assert.deepEqual(region.values.items, [{ value: "us-east-1" }]);

    const cli = await awsCli(stratus, ["sts", "decode-authorization-message", "--encoded-message", encoded, "--output", "json"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.json().DecodedMessage), decoded);
  });

  it("says when an explicit Deny refused the request", async () => {
    const carol = await user("carol");
    await iam.send(new PutUserPolicyCommand({ UserName: "carol", PolicyName: "no-ec2", PolicyDocument: doc({ Effect: "Deny", Action: "ec2:*", Resource: "*" }, { Effect: "Allow", Action: "ec2:Describe*", Resource: "*" }) }));
    const decoded = JSON.parse((await new STSClient(config()).send(new DecodeAuthorizationMessageCommand({ EncodedMessage: await refusal(carol) }))).DecodedMessage!);
    assert.equal(decoded.explicitDeny, true);
  });

  it("lets only callers allowed sts:DecodeAuthorizationMessage, of the same account, read an unaltered message", async () => {
    const dave = await user("dave");
    const encoded = await refusal(dave);
    const sts = new STSClient(config(dave));
    await assert.rejects(sts.send(new DecodeAuthorizationMessageCommand({ EncodedMessage: encoded })), (e: any) => e.name === "AccessDenied");
    await iam.send(new PutUserPolicyCommand({ UserName: "dave", PolicyName: "decode", PolicyDocument: doc({ Effect: "Allow", Action: "sts:DecodeAuthorizationMessage", Resource: "*" }) }));
    assert.equal(JSON.parse((await sts.send(new DecodeAuthorizationMessageCommand({ EncodedMessage: encoded }))).DecodedMessage!).context.principal.name, "dave");

    // Another account's root: not its message.
    const other = new STSClient(config({ accessKeyId: "111122223333", secretAccessKey: "other" }));
    await assert.rejects(other.send(new DecodeAuthorizationMessageCommand({ EncodedMessage: encoded })), (e: any) => e.name === "InvalidAuthorizationMessageException");
    // Altered, or not a message at all.
    const altered = encoded.slice(0, 20) + (encoded[20] === "A" ? "B" : "A") + encoded.slice(21);
    const root = new STSClient(config());
    for (const bad of [altered, "not+a/message=="]) {
      await assert.rejects(root.send(new DecodeAuthorizationMessageCommand({ EncodedMessage: bad })), (e: any) => e.name === "InvalidAuthorizationMessageException" && e.$metadata.httpStatusCode === 400);
    }
  });
});
