/**
 * What the instance metadata service (src/runtime/imds) shows an instance,
 * built from its record, and the credentials of its instance profile's role
 * (issued as STS would, renewed before they expire) — when the role's trust
 * policy lets ec2.amazonaws.com assume it; otherwise EC2's error.
 */
import { accessKeyId, secretAccessKey, sessionToken } from "../../../core/ids.js";
import type { ImdsInstance, RoleCredentials, RoleRefusal } from "../../../runtime/imds/metadata.js";
import type { ImdsSource } from "../../../runtime/imds/server.js";
import type { Scope } from "../../../state/documents.js";
import type { IamStore } from "../../iam/store.js";
import { serviceMayAssume } from "../../iam/trust.js";
import { findZone } from "../regions/regions.js";
import type { InstanceRecord } from "../state.js";
import type { InstancesModule } from "./module.js";
import { isUp, publicIpOf } from "./records.js";
import { publicDnsName } from "../network/public-ips.js";

/** Role credentials last six hours and are renewed once less than an hour is left, as EC2 does. */
const CREDENTIALS_MS = 6 * 3_600_000;
const RENEW_MS = 3_600_000;

/** What iam/info says when the role's trust policy does not let EC2 assume it, in EC2's words. */
function refusal(role: string, at: Date): RoleRefusal {
  return {
    code: "AssumeRoleUnauthorizedAccess",
    message: `EC2 cannot assume the role ${role}. Please see documentation at https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html#troubleshoot_iam-ec2_errors-info-doc.`,
    at,
  };
}

export function imdsSource(instances: InstancesModule, iam: IamStore): ImdsSource {
  const issued = new Map<string, RoleCredentials & { role: string }>();
  const cloud = instances.cloud;
  return {
    byAddress(address) {
      for (const scope of cloud.documents.collection("ec2", "instances").scopes()) {
        const record = instances
          .instances(scope)
          .values()
          .find((r) => r.PrivateIpAddress === address && isUp(r));
        if (record) return view(instances, iam, scope, record);
      }
      return undefined;
    },
    credentials(instance) {
      if (!instance.role) return undefined;
      const now = cloud.clock.now();
      const held = issued.get(instance.instanceId);
      if (held && held.role === instance.role.name && held.expiration.getTime() - now > RENEW_MS) return held;
      const role = iam.roles(instance.account).get(instance.role.name.toLowerCase());
      if (!role) return undefined;
      if (!serviceMayAssume(cloud, role, "ec2.amazonaws.com", instance)) return refusal(role.RoleName, new Date(now));
      const credentials = {
        role: instance.role.name,
        accessKeyId: accessKeyId("ASIA"),
        secretAccessKey: secretAccessKey(),
        token: sessionToken(),
        issued: new Date(now),
        expiration: new Date(now + CREDENTIALS_MS),
      };
      cloud.identity.issue({
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.token,
        account: instance.account,
        principalArn: `arn:aws:sts::${instance.account}:assumed-role/${role.RoleName}/${instance.instanceId}`,
        userId: `${role.RoleId}:${instance.instanceId}`,
        expiration: credentials.expiration.getTime(),
      });
      issued.set(instance.instanceId, credentials);
      return credentials;
    },
  };
}

function view(instances: InstancesModule, iam: IamStore, scope: Scope, r: InstanceRecord): ImdsInstance {
  const deps = instances.dependencies;
  const subnet = r.SubnetId ? deps.network.subnets(scope).get(r.SubnetId) : undefined;
  const vpc = r.VpcId ? deps.network.vpcs(scope).get(r.VpcId) : undefined;
  const key = r.KeyName ? deps.keys.findByName(scope, r.KeyName) : undefined;
  const zone = r.Placement?.AvailabilityZone ?? "";
  const publicIp = publicIpOf(r);
  const profile = r.IamInstanceProfile?.Arn ? iam.findInstanceProfile(scope.account, r.IamInstanceProfile.Arn) : undefined;
  const role = r.IamInstanceProfile?.Arn ? iam.roleOfInstanceProfile(scope.account, r.IamInstanceProfile.Arn) : undefined;
  const spot = r.SpotInstanceRequestId
    ? instances.cloud.documents.collection<{ _interruption?: { at: number; action: string } }>("ec2", "spot-requests").scope(scope).get(r.SpotInstanceRequestId)
    : undefined;
  const options = r.MetadataOptions ?? {};
  return {
    account: scope.account,
    region: scope.region,
    instanceId: r.InstanceId!,
    instanceType: r.InstanceType!,
    imageId: r.ImageId!,
    architecture: r.Architecture ?? "x86_64",
    launchIndex: r.AmiLaunchIndex ?? 0,
    launchTime: new Date(r.LaunchTime ?? r._createdAt),
    availabilityZone: zone,
    availabilityZoneId: findZone(scope.region, zone)?.id ?? "",
    privateIp: r.PrivateIpAddress!,
    privateDnsName: r.PrivateDnsName ?? "",
    publicIp,
    publicDnsName: publicIp ? publicDnsName(scope.region, publicIp) : undefined,
    mac: r._eni.mac,
    interfaceId: r._eni.id,
    subnetId: r.SubnetId ?? "",
    subnetCidr: subnet?.CidrBlock ?? "",
    vpcId: r.VpcId ?? "",
    vpcCidr: vpc?.CidrBlock ?? "",
    securityGroups: (r.SecurityGroups ?? []).map((g) => ({ id: g.GroupId ?? "", name: g.GroupName ?? "" })),
    reservationId: r._reservationId,
    keyName: key?.KeyName,
    publicKey: key ? (key as { PublicKey?: string }).PublicKey : undefined,
    userData: r._userData ? Buffer.from(r._userData, "base64") : Buffer.alloc(0),
    lifecycle: r.InstanceLifecycle === "spot" ? "spot" : "on-demand",
    spotAction: spot?._interruption ? { action: spot._interruption.action, time: new Date(spot._interruption.at) } : undefined,
    tags: options.InstanceMetadataTags === "enabled" ? Object.fromEntries((r.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])) : undefined,
    httpTokens: options.HttpTokens === "required" ? "required" : "optional",
    httpEndpoint: options.HttpEndpoint === "disabled" ? "disabled" : "enabled",
    role: profile && role ? { name: role.RoleName, profileArn: profile.Arn, profileId: profile.InstanceProfileId } : undefined,
  };
}
