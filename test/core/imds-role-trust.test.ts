/**
 * An instance profile's role yields IMDS credentials only when its trust
 * policy lets ec2.amazonaws.com assume it, as on EC2: otherwise iam/info
 * reports AssumeRoleUnauthorizedAccess and no credentials are served. The
 * roles are made through IAM's API; the credentials come from the same
 * source the metadata service of running instances reads.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { lookup, type ImdsInstance, type RoleCredentials } from "../../src/runtime/imds/metadata.js";
import { imdsSource } from "../../src/services/ec2/instances/imds-view.js";
import type { InstancesModule } from "../../src/services/ec2/instances/module.js";
import { IamStore } from "../../src/services/iam/store.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

const trust = (principal: object) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }] });

let launched = 0;
function instanceWith(role: string): ImdsInstance {
  launched++;
  return {
    account: "000000000000",
    region: "us-east-1",
    instanceId: `i-0${String(launched).padStart(16, "0")}`,
    instanceType: "t3.micro",
    imageId: "ami-0abc",
    architecture: "x86_64",
    launchIndex: 0,
    launchTime: new Date("2026-03-01T10:00:00Z"),
    availabilityZone: "us-east-1a",
    availabilityZoneId: "use1-az6",
    privateIp: "172.31.16.5",
    privateDnsName: "ip-172-31-16-5.ec2.internal",
    mac: "0a:1b:2c:3d:4e:5f",
    interfaceId: "eni-0abc",
    subnetId: "subnet-1",
    subnetCidr: "172.31.16.0/20",
    vpcId: "vpc-1",
    vpcCidr: "172.31.0.0/16",
    securityGroups: [],
    reservationId: "r-1",
    userData: Buffer.alloc(0),
    lifecycle: "on-demand",
    httpTokens: "optional",
    httpEndpoint: "enabled",
    role: { name: role, profileArn: `arn:aws:iam::000000000000:instance-profile/${role}`, profileId: "AIPAEXAMPLE" },
  };
}

describe("IMDS credentials and the role's trust policy", () => {
  let stratus: RunningStratus;
  let iam: IAMClient;
  let source: ReturnType<typeof imdsSource>;
  const get = (instance: ImdsInstance, path: string) => lookup(instance, path, () => source.credentials(instance));

  before(async () => {
    stratus = await startTestStratus();
    iam = new IAMClient(sdkConfig(stratus));
    // The metadata source needs only the cloud of the instances module to issue credentials.
    source = imdsSource({ cloud: stratus.cloud } as unknown as InstancesModule, new IamStore(stratus.cloud));
  });
  after(() => stratus.stop());

  it("serves credentials, which act as the role, when the trust policy allows ec2.amazonaws.com", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: "trusts-ec2", AssumeRolePolicyDocument: trust({ Service: "ec2.amazonaws.com" }) }));
    const instance = instanceWith("trusts-ec2");
    assert.equal(get(instance, "/latest/meta-data/iam/security-credentials/"), "trusts-ec2");
    const creds = JSON.parse(String(get(instance, "/latest/meta-data/iam/security-credentials/trusts-ec2")));
    assert.equal(creds.Code, "Success");
    assert.equal(JSON.parse(String(get(instance, "/latest/meta-data/iam/info"))).Code, "Success");
    const who = await new STSClient({ ...sdkConfig(stratus), credentials: { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.Token } }).send(
      new GetCallerIdentityCommand({}),
    );
    assert.equal(who.Arn, `arn:aws:sts::000000000000:assumed-role/trusts-ec2/${instance.instanceId}`);
  });

  it("reports AssumeRoleUnauthorizedAccess and serves no credentials when it does not, until the trust policy is fixed", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: "trusts-lambda", AssumeRolePolicyDocument: trust({ Service: "lambda.amazonaws.com", AWS: "arn:aws:iam::000000000000:root" }) }));
    const instance = instanceWith("trusts-lambda");
    const refused = source.credentials(instance);
    assert.ok(refused && "code" in refused);
    const info = JSON.parse(String(get(instance, "/latest/meta-data/iam/info")));
    assert.equal(info.Code, "AssumeRoleUnauthorizedAccess");
    assert.match(info.Message, /^EC2 cannot assume the role trusts-lambda\. Please see documentation at https:\/\/docs\.aws\.amazon\.com\//);
    assert.match(info.LastUpdated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(get(instance, "/latest/meta-data/iam/"), "info");
    assert.equal(get(instance, "/latest/meta-data/iam/security-credentials/"), undefined);
    assert.equal(get(instance, "/latest/meta-data/iam/security-credentials/trusts-lambda"), undefined);

    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "trusts-lambda", PolicyDocument: trust({ Service: ["lambda.amazonaws.com", "ec2.amazonaws.com"] }) }));
    const creds = source.credentials(instance) as RoleCredentials;
    assert.match(creds.accessKeyId, /^ASIA/);
  });

  it("lets an explicit Deny for ec2.amazonaws.com win", async () => {
    const document = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" },
        { Effect: "Deny", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
    await iam.send(new CreateRoleCommand({ RoleName: "denies-ec2", AssumeRolePolicyDocument: document }));
    assert.equal(JSON.parse(String(get(instanceWith("denies-ec2"), "/latest/meta-data/iam/info"))).Code, "AssumeRoleUnauthorizedAccess");
  });
});
