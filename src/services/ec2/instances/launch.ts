/**
 * RunInstances' validation, in AWS's order, turning a request into a launch
 * plan: the image, type, zone and subnet, security groups, key, instance
 * profile, user data, tags and block devices every instance of the
 * reservation gets.
 */
import type { Image, InstanceNetworkInterfaceSpecification, InstanceTypeInfo, NetworkInterface, RunInstancesRequest, Subnet, Tag } from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { IamStore } from "../../iam/store.js";
import type { ImagesModule } from "../images/module.js";
import { instanceType } from "../instance-types/catalog.js";
import { offeredInZone, zonesOffering } from "../instance-types/offerings.js";
import type { KeyPairsModule } from "../keypairs/module.js";
import { Ec2Errors } from "../errors.js";
import { KINDS, checkIdShape, requireId } from "../lookup.js";
import type { NetworkModule } from "../network/module.js";
import type { SecurityGroupRecord } from "../network/records.js";
import type { SecurityGroupsModule } from "../network/security-groups.js";
import { findZone, regionInfo } from "../regions/regions.js";
import { DEVICE_NAME, type InstanceRecord, type LaunchMapping } from "../state.js";
import { tagsBySpecification } from "../tags.js";

export const MAX_USER_DATA_BYTES = 16 * 1024;
const DEFAULT_INSTANCE_TYPE = "t2.micro";

export interface LaunchDeps {
  network: NetworkModule;
  groups: SecurityGroupsModule;
  images: ImagesModule;
  keys: KeyPairsModule;
  iam: IamStore;
  /** A network interface of its own (CreateNetworkInterface), for launches onto an existing one. */
  findInterface(scope: Scope, id: string): NetworkInterface | undefined;
}

export interface LaunchPlan {
  count: number;
  minCount: number;
  image: Image;
  type: InstanceTypeInfo;
  subnet: Subnet;
  groups: SecurityGroupRecord[];
  keyName?: string;
  profile?: { Arn: string; Id: string };
  userData?: string;
  instanceTags: Tag[];
  volumeTags: Tag[];
  /** Tags of the instance's primary network interface. */
  interfaceTags: Tag[];
  /** Tags for the spot request a spot launch creates. */
  spotRequestTags: Tag[];
  mappings: LaunchMapping[];
  rootDeviceName: string;
  autoPublicIp: boolean;
  privateIp?: string;
  monitoring: boolean;
  ebsOptimized: boolean;
  disableApiTermination: boolean;
  disableApiStop: boolean;
  shutdownBehavior: "stop" | "terminate";
  tenancy: "default" | "dedicated" | "host";
  clientToken?: string;
  metadataHttpTokens: "optional" | "required";
  cpuCredits?: string;
  /** An existing interface that becomes the instance's primary one (DeviceIndex 0 with NetworkInterfaceId). */
  primaryInterface?: { record: NetworkInterface; deleteOnTermination: boolean };
  /** Interfaces at device index 1 and up, created or attached once the instance exists. */
  secondaryInterfaces: InstanceNetworkInterfaceSpecification[];
}

/** Validates a RunInstances request and resolves everything it names. */
export function planLaunch(deps: LaunchDeps, scope: Scope, input: RunInstancesRequest, live: () => InstanceRecord[]): LaunchPlan {
  const minCount = input.MinCount;
  const maxCount = input.MaxCount;
  if (!Number.isInteger(minCount) || minCount < 1) throw Ec2Errors.invalidParameterValue(`Invalid value '${minCount}' for MinCount. Must be greater than or equal to 1.`);
  if (!Number.isInteger(maxCount) || maxCount < 1) throw Ec2Errors.invalidParameterValue(`Invalid value '${maxCount}' for MaxCount. Must be greater than or equal to 1.`);
  if (minCount > maxCount) throw Ec2Errors.invalidParameterValue(`Invalid value '${minCount}' for MinCount. Must be less than or equal to MaxCount.`);

  const byType = tagsBySpecification(input.TagSpecifications, ["instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu"]);

  if (input.LaunchTemplate) throw Ec2Errors.unsupportedOperation("Launch templates must be resolved before the launch is planned.");
  if (!input.ImageId) throw Ec2Errors.missingParameter("ImageId");
  const image = deps.images.require(scope, input.ImageId);
  if (image.State !== "available") {
    throw Ec2Errors.custom("InvalidAMIID.Unavailable", `The image id '[${image.ImageId}]' is not available (state: ${image.State}).`);
  }

  const typeName = input.InstanceType ?? DEFAULT_INSTANCE_TYPE;
  const type = instanceType(typeName);
  if (!type) throw Ec2Errors.invalidValueFor(typeName, "InstanceType");
  const typeArchitectures = type.ProcessorInfo?.SupportedArchitectures ?? ["x86_64"];
  if (!typeArchitectures.includes(image.Architecture as never)) {
    throw Ec2Errors.invalidParameterValue(
      `The architecture '${typeArchitectures.includes("x86_64") ? "x86_64" : typeArchitectures[0]}' of the specified instance type does not match the architecture '${image.Architecture}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.`,
    );
  }

  // Network: the subnet (given, from the network interface, or the default one of a zone).
  const eni = input.NetworkInterfaces?.find((n) => (n.DeviceIndex ?? 0) === 0) ?? input.NetworkInterfaces?.[0];
  if (input.NetworkInterfaces?.length && input.SubnetId) {
    throw Ec2Errors.invalidParameterCombination("Network interfaces and an instance-level subnet ID may not be specified on the same request");
  }
  if (input.NetworkInterfaces?.length && (input.SecurityGroupIds?.length || input.SecurityGroups?.length)) {
    throw Ec2Errors.invalidParameterCombination("Network interfaces and an instance-level security groups may not be specified on the same request");
  }
  const indexes = (input.NetworkInterfaces ?? []).map((n) => n.DeviceIndex ?? 0);
  if (new Set(indexes).size !== indexes.length) throw Ec2Errors.invalidParameterValue("Each network interface requires a unique device index.");
  if (input.NetworkInterfaces?.length && !indexes.includes(0)) throw Ec2Errors.invalidParameterValue("Network interface with device index 0 is required.");
  const secondaryInterfaces = (input.NetworkInterfaces ?? []).filter((n) => (n.DeviceIndex ?? 0) !== 0);
  if (secondaryInterfaces.some((n) => n.NetworkInterfaceId) && maxCount > 1) {
    throw Ec2Errors.invalidParameterCombination("Existing network interfaces cannot be attached when launching more than one instance.");
  }
  let primaryInterface: LaunchPlan["primaryInterface"];
  if (eni?.NetworkInterfaceId) {
    if (eni.SubnetId || eni.Groups?.length || eni.PrivateIpAddress || eni.AssociatePublicIpAddress !== undefined) {
      throw Ec2Errors.invalidParameterCombination("Network interface ID and subnet, security groups, private IP address or public IP association may not be specified on the same network interface");
    }
    if (maxCount > 1) throw Ec2Errors.invalidParameterCombination("Existing network interfaces cannot be attached when launching more than one instance.");
    checkIdShape(eni.NetworkInterfaceId, { prefix: "eni", notFoundCode: "InvalidNetworkInterfaceID.NotFound", noun: "networkInterface" });
    const record = deps.findInterface(scope, eni.NetworkInterfaceId);
    if (!record) throw Ec2Errors.notFound("InvalidNetworkInterfaceID.NotFound", "networkInterface", [eni.NetworkInterfaceId]);
    if (record.Attachment?.InstanceId || record.Status !== "available") {
      throw Ec2Errors.custom("InvalidNetworkInterface.InUse", `Interface: [${record.NetworkInterfaceId}] in use.`);
    }
    primaryInterface = { record, deleteOnTermination: eni.DeleteOnTermination ?? false };
  }
  const subnetId = input.SubnetId ?? eni?.SubnetId ?? primaryInterface?.record.SubnetId;
  const wantedZone = input.Placement?.AvailabilityZone;
  if (wantedZone && !findZone(scope.region, wantedZone)) throw Ec2Errors.invalidParameterValue(`Invalid availability zone: [${wantedZone}]`);
  let subnet: Subnet;
  if (subnetId) {
    subnet = requireId(deps.network.subnets(scope), subnetId, KINDS.subnet);
    if (wantedZone && wantedZone !== subnet.AvailabilityZone) {
      throw Ec2Errors.invalidParameterValue(`Value (${wantedZone}) for parameter availabilityZone is invalid. Subnet '${subnet.SubnetId}' is in the availability zone ${subnet.AvailabilityZone}`);
    }
    if (input.SecurityGroups?.length) throw Ec2Errors.invalidParameterCombination("The parameter groupName cannot be used with the parameter subnet");
  } else {
    const zone = wantedZone ?? pickZone(scope, typeName, live());
    const found = deps.network.defaultSubnet(scope, zone);
    if (!found) throw Ec2Errors.custom("MissingInput", "No subnets found for the default VPC. Please specify a subnet.");
    subnet = found;
  }
  const zone = findZone(scope.region, subnet.AvailabilityZone!)!;
  if (!offeredInZone(scope.region, zone, typeName)) {
    const alternatives = zonesOffering(scope.region, typeName).map((z) => z.name);
    throw Ec2Errors.custom(
      "Unsupported",
      `Your requested instance type (${typeName}) is not supported in your requested Availability Zone (${zone.name}). Please retry your request by not specifying an Availability Zone or choosing ${alternatives.join(", ")}.`,
    );
  }

  // Security groups: ids or names, else the VPC's default group.
  const groupIds = [...(input.SecurityGroupIds ?? []), ...(eni?.Groups ?? []), ...(primaryInterface?.record.Groups ?? []).map((g) => g.GroupId!)];
  const groupNames = input.SecurityGroups ?? [];
  let groups = deps.groups.resolveForLaunch(scope, subnet.VpcId!, groupIds, groupNames);
  if (groups.length === 0) {
    const fallback = deps.network.defaultGroup(scope, subnet.VpcId!);
    groups = fallback ? [fallback] : [];
  }
  groups = [...new Map(groups.map((g) => [g.GroupId!, g])).values()];
  if (groups.length > 5) throw Ec2Errors.custom("SecurityGroupsPerInstanceLimitExceeded", "The maximum number of security groups per interface has been reached.");

  if (input.KeyName !== undefined && !deps.keys.findByName(scope, input.KeyName)) throw Ec2Errors.keyPairNotFound(input.KeyName);

  let profile: LaunchPlan["profile"];
  const profileSpec = input.IamInstanceProfile;
  if (profileSpec && (profileSpec.Arn || profileSpec.Name)) {
    if (profileSpec.Arn && profileSpec.Name) {
      throw Ec2Errors.invalidParameterCombination("The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'");
    }
    const found = deps.iam.findInstanceProfile(scope.account, profileSpec.Arn ?? profileSpec.Name!);
    if (!found) {
      throw profileSpec.Arn
        ? Ec2Errors.invalidParameterValue(`Value (${profileSpec.Arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`)
        : Ec2Errors.invalidParameterValue(`Value (${profileSpec.Name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`);
    }
    profile = { Arn: found.Arn, Id: found.InstanceProfileId };
  }

  let userData: string | undefined;
  if (input.UserData !== undefined && input.UserData !== "") {
    const text = input.UserData.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw Ec2Errors.invalidParameterValue("Invalid BASE64 encoding of user data.");
    if (Buffer.from(text, "base64").length > MAX_USER_DATA_BYTES) throw Ec2Errors.invalidParameterValue(`User data is limited to ${MAX_USER_DATA_BYTES} bytes`);
    userData = text;
  }

  const rootDeviceName = image.RootDeviceName ?? "/dev/xvda";
  const mappings = mergeMappings(image, input.BlockDeviceMappings ?? []);

  let privateIp = input.PrivateIpAddress ?? eni?.PrivateIpAddress ?? primaryInterface?.record.PrivateIpAddress;
  if (privateIp) {
    if (maxCount > 1) throw Ec2Errors.invalidParameterCombination("Cannot specify a private IP address when launching more than one instance.");
    if (!deps.network.subnetHolds(subnet, privateIp)) {
      throw Ec2Errors.invalidParameterValue(`Address ${privateIp} does not fall within the subnet's address range`);
    }
  } else privateIp = undefined;

  const cpuCredits = input.CreditSpecification?.CpuCredits;
  if (cpuCredits !== undefined && cpuCredits !== "standard" && cpuCredits !== "unlimited") {
    throw Ec2Errors.invalidParameterValue(`Value (${cpuCredits}) for parameter cpuCredits is invalid. Valid values are 'standard' and 'unlimited'.`);
  }

  const tenancy = input.Placement?.Tenancy ?? "default";
  if (tenancy !== "default" && tenancy !== "dedicated" && tenancy !== "host") throw Ec2Errors.invalidValueFor(tenancy, "tenancy");
  const shutdownBehavior = input.InstanceInitiatedShutdownBehavior ?? "stop";
  if (shutdownBehavior !== "stop" && shutdownBehavior !== "terminate") throw Ec2Errors.invalidValueFor(shutdownBehavior, "InstanceInitiatedShutdownBehavior");

  return {
    count: maxCount,
    minCount,
    image,
    type,
    subnet,
    groups,
    keyName: input.KeyName,
    profile,
    userData,
    // Instances launched from a template carry aws:ec2launchtemplate:id/version.
    instanceTags: [...(byType.get("instance") ?? []), ...((input as { _systemTags?: Tag[] })._systemTags ?? [])],
    volumeTags: byType.get("volume") ?? [],
    interfaceTags: byType.get("network-interface") ?? [],
    spotRequestTags: byType.get("spot-instances-request") ?? [],
    mappings,
    rootDeviceName,
    // EC2 assigns a public address only to a primary interface it creates.
    autoPublicIp: primaryInterface ? false : (eni?.AssociatePublicIpAddress ?? subnet.MapPublicIpOnLaunch ?? false),
    primaryInterface,
    secondaryInterfaces,
    privateIp,
    monitoring: input.Monitoring?.Enabled ?? false,
    ebsOptimized: input.EbsOptimized ?? type.EbsInfo?.EbsOptimizedSupport === "default",
    disableApiTermination: input.DisableApiTermination ?? false,
    disableApiStop: input.DisableApiStop ?? false,
    shutdownBehavior,
    tenancy,
    clientToken: input.ClientToken,
    metadataHttpTokens: input.MetadataOptions?.HttpTokens ?? (image.ImdsSupport === "v2.0" ? "required" : "optional"),
    cpuCredits,
  };
}

/** The zone for a launch that names none: the one offering the type with the fewest of the account's instances. */
function pickZone(scope: Scope, typeName: string, live: InstanceRecord[]): string {
  const zones = zonesOffering(scope.region, typeName);
  const candidates = zones.length ? zones : regionInfo(scope.region).zones;
  const counts = new Map<string, number>(candidates.map((z) => [z.name, 0]));
  for (const instance of live) {
    const zone = instance.Placement?.AvailabilityZone;
    if (zone && counts.has(zone)) counts.set(zone, counts.get(zone)! + 1);
  }
  let best = candidates[0].name;
  for (const [zone, count] of counts) if (count < counts.get(best)!) best = zone;
  return best;
}

/** The image's block devices merged with the request's (the request wins per device; NoDevice removes one). */
function mergeMappings(image: Image, requested: NonNullable<RunInstancesRequest["BlockDeviceMappings"]>): LaunchMapping[] {
  const out = new Map<string, LaunchMapping>();
  for (const mapping of image.BlockDeviceMappings ?? []) {
    if (!mapping.Ebs || !mapping.DeviceName) continue;
    out.set(mapping.DeviceName, {
      DeviceName: mapping.DeviceName,
      VolumeSize: mapping.Ebs.VolumeSize,
      VolumeType: mapping.Ebs.VolumeType,
      Iops: mapping.Ebs.Iops,
      Throughput: mapping.Ebs.Throughput,
      Encrypted: mapping.Ebs.Encrypted,
      KmsKeyId: mapping.Ebs.KmsKeyId,
      SnapshotId: mapping.Ebs.SnapshotId,
      DeleteOnTermination: mapping.Ebs.DeleteOnTermination ?? true,
    });
  }
  for (const mapping of requested) {
    if (!mapping.DeviceName) throw Ec2Errors.missingParameter("BlockDeviceMapping.DeviceName");
    if (!DEVICE_NAME.test(mapping.DeviceName)) throw Ec2Errors.custom("InvalidBlockDeviceMapping", `Invalid device name ${mapping.DeviceName}`);
    if (mapping.NoDevice !== undefined) {
      if (mapping.DeviceName === image.RootDeviceName) throw Ec2Errors.custom("InvalidBlockDeviceMapping", "The device 'root' cannot be suppressed.");
      out.delete(mapping.DeviceName);
      continue;
    }
    if (mapping.VirtualName) continue;
    if (!mapping.Ebs) continue;
    const base = out.get(mapping.DeviceName);
    const ebs = mapping.Ebs;
    if (base?.SnapshotId && ebs.VolumeSize !== undefined && base.VolumeSize !== undefined && ebs.VolumeSize < base.VolumeSize) {
      throw Ec2Errors.custom(
        "InvalidBlockDeviceMapping",
        `Volume of size ${ebs.VolumeSize}GB is smaller than snapshot '${base.SnapshotId}', expect size >= ${base.VolumeSize}GB`,
      );
    }
    if (!base && !ebs.SnapshotId && ebs.VolumeSize === undefined) {
      throw Ec2Errors.custom("InvalidBlockDeviceMapping", `The request must contain the parameter size or snapshotId for device ${mapping.DeviceName}`);
    }
    out.set(mapping.DeviceName, {
      DeviceName: mapping.DeviceName,
      VolumeSize: ebs.VolumeSize ?? base?.VolumeSize,
      VolumeType: ebs.VolumeType ?? base?.VolumeType ?? "gp2",
      Iops: ebs.Iops ?? (ebs.VolumeType ? undefined : base?.Iops),
      Throughput: ebs.Throughput ?? (ebs.VolumeType ? undefined : base?.Throughput),
      Encrypted: ebs.Encrypted ?? base?.Encrypted,
      KmsKeyId: ebs.KmsKeyId ?? base?.KmsKeyId,
      SnapshotId: ebs.SnapshotId ?? base?.SnapshotId,
      DeleteOnTermination: ebs.DeleteOnTermination ?? (base ? base.DeleteOnTermination : true),
    });
  }
  return [...out.values()];
}

/** The instance id shape check shared by every instance operation. */
export function checkInstanceIds(ids: readonly string[]): void {
  for (const id of ids) checkIdShape(id, KINDS.instance);
}
