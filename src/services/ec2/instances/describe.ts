/**
 * Reading and adjusting instances: DescribeInstances (the filters people
 * use, pagination), DescribeInstanceStatus, Describe/ModifyInstanceAttribute,
 * GetConsoleOutput, Monitor/UnmonitorInstances.
 */
import type { Cloud } from "../../../cloud.js";
import type {
  DescribeInstanceAttributeRequest,
  DescribeInstanceStatusRequest,
  DescribeInstanceStatusResult,
  DescribeInstancesRequest,
  DescribeInstancesResult,
  GetConsoleOutputRequest,
  GetConsoleOutputResult,
  Instance,
  InstanceAttribute,
  InstanceNetworkInterface,
  InstanceStatus,
  ModifyInstanceAttributeRequest,
  MonitorInstancesRequest,
  MonitorInstancesResult,
  Reservation,
  UnmonitorInstancesRequest,
  UnmonitorInstancesResult,
} from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, type FilterField } from "../filters.js";
import { instanceType } from "../instance-types/catalog.js";
import { offeredInZone } from "../instance-types/offerings.js";
import { scopeOf } from "../network/module.js";
import { publicDnsName } from "../network/public-ips.js";
import type { SecurityGroupsModule } from "../network/security-groups.js";
import { paginate } from "../pagination.js";
import { findZone } from "../regions/regions.js";
import type { Ec2State, InstanceRecord } from "../state.js";
import { MAX_USER_DATA_BYTES } from "./launch.js";
import { isVisible, type InstancesModule } from "./module.js";
import { attachmentsByInstance, instanceView, publicIpOf } from "./records.js";
import { secondaryInterfaces } from "../network/interfaces.js";

type R = InstanceRecord;

function instanceFields(
  scope: Scope,
  mappings: () => Map<string, NonNullable<Instance["BlockDeviceMappings"]>>,
  secondary: () => Map<string, InstanceNetworkInterface[]>,
): Record<string, FilterField<R>> {
  const bdm = (r: R) => mappings().get(r.InstanceId!) ?? [];
  const more = (r: R) => secondary().get(r.InstanceId!) ?? [];
  return {
    affinity: (r) => r.Placement?.Affinity,
    architecture: (r) => r.Architecture,
    "availability-zone": (r) => r.Placement?.AvailabilityZone,
    "availability-zone-id": (r) => r.Placement?.AvailabilityZoneId,
    "block-device-mapping.attach-time": (r) => bdm(r).map((m) => m.Ebs?.AttachTime),
    "block-device-mapping.delete-on-termination": (r) => bdm(r).map((m) => m.Ebs?.DeleteOnTermination),
    "block-device-mapping.device-name": (r) => bdm(r).map((m) => m.DeviceName),
    "block-device-mapping.status": (r) => bdm(r).map((m) => m.Ebs?.Status),
    "block-device-mapping.volume-id": (r) => bdm(r).map((m) => m.Ebs?.VolumeId),
    "boot-mode": (r) => r.BootMode,
    "capacity-reservation-id": (r) => r.CapacityReservationId,
    "client-token": (r) => r.ClientToken,
    "current-instance-boot-mode": (r) => r.CurrentInstanceBootMode,
    "dns-name": (r) => {
      const ip = publicIpOf(r);
      return ip ? publicDnsName(scope.region, ip) : undefined;
    },
    "ebs-optimized": (r) => r.EbsOptimized,
    "ena-support": (r) => r.EnaSupport,
    "hibernation-options.configured": (r) => r.HibernationOptions?.Configured,
    "host-id": (r) => r.Placement?.HostId,
    hypervisor: (r) => r.Hypervisor,
    "iam-instance-profile.arn": (r) => r.IamInstanceProfile?.Arn,
    "iam-instance-profile.id": (r) => r.IamInstanceProfile?.Id,
    "image-id": (r) => r.ImageId,
    "instance-id": (r) => r.InstanceId,
    "instance-lifecycle": (r) => r.InstanceLifecycle,
    "instance-state-code": (r) => r.State?.Code,
    "instance-state-name": (r) => r.State?.Name,
    "instance-type": (r) => r.InstanceType,
    "instance.group-id": (r) => r.SecurityGroups?.map((g) => g.GroupId),
    "instance.group-name": (r) => r.SecurityGroups?.map((g) => g.GroupName),
    "group-id": (r) => r.SecurityGroups?.map((g) => g.GroupId),
    "group-name": (r) => r.SecurityGroups?.map((g) => g.GroupName),
    "ip-address": (r) => publicIpOf(r),
    "kernel-id": (r) => r.KernelId,
    "key-name": (r) => r.KeyName,
    "launch-index": (r) => r.AmiLaunchIndex,
    "launch-time": (r) => r.LaunchTime,
    "maintenance-options.auto-recovery": (r) => r.MaintenanceOptions?.AutoRecovery,
    "metadata-options.http-endpoint": (r) => r.MetadataOptions?.HttpEndpoint,
    "metadata-options.http-protocol-ipv6": (r) => r.MetadataOptions?.HttpProtocolIpv6,
    "metadata-options.http-put-response-hop-limit": (r) => r.MetadataOptions?.HttpPutResponseHopLimit,
    "metadata-options.http-tokens": (r) => r.MetadataOptions?.HttpTokens,
    "metadata-options.instance-metadata-tags": (r) => r.MetadataOptions?.InstanceMetadataTags,
    "monitoring-state": (r) => r.Monitoring?.State,
    // The primary interface (in the record) and the instance's other attached interfaces.
    "network-interface.addresses.private-ip-address": (r) => [r.PrivateIpAddress, ...more(r).map((n) => n.PrivateIpAddress)],
    "network-interface.addresses.primary": () => true,
    "network-interface.addresses.association.public-ip": (r) => publicIpOf(r),
    "network-interface.association.public-ip": (r) => publicIpOf(r),
    "network-interface.attachment.device-index": (r) => [0, ...more(r).map((n) => n.Attachment?.DeviceIndex)],
    "network-interface.attachment.attachment-id": (r) => [r._eni.attachmentId, ...more(r).map((n) => n.Attachment?.AttachmentId)],
    "network-interface.description": (r) => [r._eni.description ?? "", ...more(r).map((n) => n.Description)],
    "network-interface.mac-address": (r) => [r._eni.mac, ...more(r).map((n) => n.MacAddress)],
    "network-interface.network-interface-id": (r) => [r._eni.id, ...more(r).map((n) => n.NetworkInterfaceId)],
    "network-interface.private-dns-name": (r) => [r.PrivateDnsName, ...more(r).map((n) => n.PrivateDnsName)],
    "network-interface.subnet-id": (r) => [r.SubnetId, ...more(r).map((n) => n.SubnetId)],
    "network-interface.vpc-id": (r) => r.VpcId,
    "network-interface.group-id": (r) => [...(r.SecurityGroups ?? []), ...more(r).flatMap((n) => n.Groups ?? [])].map((g) => g.GroupId),
    "network-interface.status": () => "in-use",
    "owner-id": () => scope.account,
    "placement-group-name": (r) => r.Placement?.GroupName || undefined,
    "placement-partition-number": (r) => r.Placement?.PartitionNumber,
    platform: (r) => r.Platform,
    "platform-details": (r) => r.PlatformDetails,
    "private-dns-name": (r) => r.PrivateDnsName,
    "private-ip-address": (r) => r.PrivateIpAddress,
    "product-code": (r) => r.ProductCodes?.map((p) => p.ProductCodeId),
    "ramdisk-id": (r) => r.RamdiskId,
    reason: (r) => r.StateTransitionReason,
    "requester-id": (r) => r._requesterId,
    "reservation-id": (r) => r._reservationId,
    "root-device-name": (r) => r.RootDeviceName,
    "root-device-type": (r) => r.RootDeviceType,
    "source-dest-check": (r) => r.SourceDestCheck,
    "spot-instance-request-id": (r) => r.SpotInstanceRequestId,
    "state-reason-code": (r) => r.StateReason?.Code,
    "state-reason-message": (r) => r.StateReason?.Message,
    "subnet-id": (r) => r.SubnetId,
    tenancy: (r) => r.Placement?.Tenancy,
    "usage-operation": (r) => r.UsageOperation,
    "usage-operation-update-time": (r) => r.UsageOperationUpdateTime,
    "virtualization-type": (r) => r.VirtualizationType,
    "vpc-id": (r) => r.VpcId,
  };
}

/** Describe order: launch time, then id (stable across calls, so NextToken works). */
function sortKey(record: R): string {
  return `${String(record._createdAt).padStart(15, "0")}/${record._reservationId}/${String(record.AmiLaunchIndex ?? 0).padStart(5, "0")}/${record.InstanceId}`;
}

export class InstanceQueriesModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly instances: InstancesModule,
    private readonly groups: SecurityGroupsModule,
  ) {}

  DescribeInstances(input: DescribeInstancesRequest, ctx: CallContext): DescribeInstancesResult {
    const scope = scopeOf(ctx);
    const now = this.cloud.clock.now();
    const idsGiven = Boolean(input.InstanceIds?.length);
    const records = idsGiven ? this.instances.require(scope, input.InstanceIds!) : this.state.instances(scope).values().filter((r) => isVisible(r, now));
    // Block device mappings come from the volumes: all of them only when a filter asks.
    let all: Map<string, NonNullable<Instance["BlockDeviceMappings"]>> | undefined;
    const allMappings = () => (all ??= attachmentsByInstance(this.state.volumes(scope).values()));
    let interfaces: Map<string, InstanceNetworkInterface[]> | undefined;
    const allInterfaces = () => (interfaces ??= secondaryInterfaces(this.state, scope));
    const predicate = compileFilters<R>(input.Filters, { fields: instanceFields(scope, allMappings, allInterfaces), tags: (r) => r.Tags });
    const page = paginate(records.filter(predicate), input, { min: 5, max: 1000, idsParameter: "instancesSet" }, sortKey, idsGiven);
    const mappings = all ?? attachmentsByInstance(this.state.volumes(scope).values(), new Set(page.items.map((r) => r.InstanceId!)));
    const secondary = allInterfaces();
    const reservations = new Map<string, Reservation>();
    for (const record of page.items) {
      let reservation = reservations.get(record._reservationId);
      if (!reservation) {
        reservation = { ReservationId: record._reservationId, OwnerId: scope.account, RequesterId: record._requesterId, Groups: [], Instances: [] };
        reservations.set(record._reservationId, reservation);
      }
      reservation.Instances!.push(instanceView(record, scope, mappings.get(record.InstanceId!), secondary.get(record.InstanceId!)));
    }
    return { Reservations: [...reservations.values()], NextToken: page.nextToken };
  }

  DescribeInstanceStatus(input: DescribeInstanceStatusRequest, ctx: CallContext): DescribeInstanceStatusResult {
    const scope = scopeOf(ctx);
    const now = this.cloud.clock.now();
    const idsGiven = Boolean(input.InstanceIds?.length);
    let records = idsGiven ? this.instances.require(scope, input.InstanceIds!) : this.state.instances(scope).values().filter((r) => isVisible(r, now));
    if (!input.IncludeAllInstances) records = records.filter((r) => r.State?.Name === "running");
    const statuses = records.map((r) => this.statusOf(scope, r, now));
    const byId = new Map(records.map((r, i) => [statuses[i], r]));
    const predicate = compileFilters<InstanceStatus>(input.Filters, {
      fields: {
        "availability-zone": (s) => s.AvailabilityZone,
        "availability-zone-id": (s) => s.AvailabilityZoneId,
        "event.code": (s) => s.Events?.map((e) => e.Code),
        "event.description": (s) => s.Events?.map((e) => e.Description),
        "event.instance-event-id": (s) => s.Events?.map((e) => e.InstanceEventId),
        "event.not-after": (s) => s.Events?.map((e) => e.NotAfter),
        "event.not-before": (s) => s.Events?.map((e) => e.NotBefore),
        "instance-state-code": (s) => s.InstanceState?.Code,
        "instance-state-name": (s) => s.InstanceState?.Name,
        "instance-status.reachability": (s) => s.InstanceStatus?.Details?.map((d) => d.Status),
        "instance-status.status": (s) => s.InstanceStatus?.Status,
        "system-status.reachability": (s) => s.SystemStatus?.Details?.map((d) => d.Status),
        "system-status.status": (s) => s.SystemStatus?.Status,
        "attached-ebs-status.status": (s) => s.AttachedEbsStatus?.Status,
      },
    });
    const page = paginate(statuses.filter(predicate), input, { min: 5, max: 1000, idsParameter: "instancesSet" }, (s) => sortKey(byId.get(s)!), idsGiven);
    return { InstanceStatuses: page.items, NextToken: page.nextToken };
  }

  private statusOf(scope: Scope, record: R, now: number): InstanceStatus {
    const running = record.State?.Name === "running";
    const initializing = running && now - (record._runningSince ?? now) < this.instances.driver.statusInitializingMs(this.instances.driverView(scope, record));
    const summary = (): InstanceStatus["InstanceStatus"] =>
      !running
        ? { Status: "not-applicable" }
        : initializing
          ? { Status: "initializing", Details: [{ Name: "reachability", Status: "initializing" }] }
          : { Status: "ok", Details: [{ Name: "reachability", Status: "passed" }] };
    return {
      AvailabilityZone: record.Placement?.AvailabilityZone,
      AvailabilityZoneId: record.Placement?.AvailabilityZoneId,
      InstanceId: record.InstanceId,
      InstanceState: record.State,
      InstanceStatus: summary(),
      SystemStatus: summary(),
      AttachedEbsStatus: summary() as InstanceStatus["AttachedEbsStatus"],
    };
  }

  DescribeInstanceAttribute(input: DescribeInstanceAttributeRequest, ctx: CallContext): InstanceAttribute {
    const scope = scopeOf(ctx);
    const [record] = this.instances.require(scope, [input.InstanceId]);
    const out: InstanceAttribute = { InstanceId: record.InstanceId };
    switch (input.Attribute) {
      case "instanceType":
        out.InstanceType = { Value: record.InstanceType };
        break;
      case "kernel":
        out.KernelId = record.KernelId ? { Value: record.KernelId } : {};
        break;
      case "ramdisk":
        out.RamdiskId = record.RamdiskId ? { Value: record.RamdiskId } : {};
        break;
      case "userData":
        out.UserData = record._userData ? { Value: record._userData } : {};
        break;
      case "disableApiTermination":
        out.DisableApiTermination = { Value: record._disableApiTermination ?? false };
        break;
      case "disableApiStop":
        out.DisableApiStop = { Value: record._disableApiStop ?? false };
        break;
      case "instanceInitiatedShutdownBehavior":
        out.InstanceInitiatedShutdownBehavior = { Value: record._shutdownBehavior ?? "stop" };
        break;
      case "rootDeviceName":
        out.RootDeviceName = { Value: record.RootDeviceName };
        break;
      case "blockDeviceMapping":
        out.BlockDeviceMappings = attachmentsByInstance(this.state.volumes(scope).values()).get(record.InstanceId!) ?? [];
        break;
      case "productCodes":
        out.ProductCodes = record.ProductCodes ?? [];
        break;
      case "sourceDestCheck":
        out.SourceDestCheck = { Value: record.SourceDestCheck ?? true };
        break;
      case "groupSet":
        out.Groups = record.SecurityGroups ?? [];
        break;
      case "ebsOptimized":
        out.EbsOptimized = { Value: record.EbsOptimized ?? false };
        break;
      case "sriovNetSupport":
        out.SriovNetSupport = { Value: "simple" };
        break;
      case "enaSupport":
        out.EnaSupport = { Value: record.EnaSupport ?? true };
        break;
      case "enclaveOptions":
        out.EnclaveOptions = record.EnclaveOptions ?? { Enabled: false };
        break;
      default:
        throw Ec2Errors.invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. Unknown attribute.`);
    }
    return out;
  }

  ModifyInstanceAttribute(input: ModifyInstanceAttributeRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const [record] = this.instances.require(scope, [input.InstanceId]);
    const id = record.InstanceId!;
    const stopped = record.State?.Name === "stopped";
    const requireStopped = () => {
      if (!stopped) throw Ec2Errors.incorrectInstanceState(`The instance '${id}' is not in the 'stopped' state.`);
    };
    if (record.State?.Name === "terminated") throw Ec2Errors.incorrectInstanceState(`The instance '${id}' is not in a state from which it can be modified.`);
    // The Attribute/Value form names one attribute with a text value.
    const attribute = input.Attribute;
    const value = input.Value;
    const instanceTypeValue = input.InstanceType?.Value ?? (attribute === "instanceType" ? value : undefined);
    const userData = input.UserData?.Value ?? (attribute === "userData" && value !== undefined ? Buffer.from(value) : undefined);
    const bool = (v: boolean | undefined, name: string) => v ?? (attribute === name && value !== undefined ? value === "true" : undefined);
    const disableApiTermination = bool(input.DisableApiTermination?.Value, "disableApiTermination");
    const disableApiStop = bool(input.DisableApiStop?.Value, "disableApiStop");
    const sourceDestCheck = bool(input.SourceDestCheck?.Value, "sourceDestCheck");
    const ebsOptimized = bool(input.EbsOptimized?.Value, "ebsOptimized");
    const enaSupport = bool(input.EnaSupport?.Value, "enaSupport");
    const shutdown = input.InstanceInitiatedShutdownBehavior?.Value ?? (attribute === "instanceInitiatedShutdownBehavior" ? value : undefined);
    const groups = input.Groups ?? (attribute === "groupSet" && value ? [value] : undefined);
    // BlockDeviceMapping changes DeleteOnTermination of attached volumes, in any state but terminated.
    const deleteOnTermination = (input.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.DeleteOnTermination !== undefined);
    if (deleteOnTermination.length) {
      const mapped = new Set((attachmentsByInstance(this.state.volumes(scope).values(), new Set([id])).get(id) ?? []).map((m) => m.DeviceName));
      for (const mapping of deleteOnTermination) {
        if (!mapping.DeviceName) throw Ec2Errors.missingParameter("BlockDeviceMapping.DeviceName");
        if (!mapped.has(mapping.DeviceName)) throw Ec2Errors.custom("InvalidInstanceAttributeValue", `No device is currently mapped at ${mapping.DeviceName}`);
      }
    }

    if (instanceTypeValue !== undefined) {
      requireStopped();
      const type = instanceType(instanceTypeValue);
      // ModifyInstanceAttribute answers an unknown type with InvalidInstanceAttributeValue (its API reference says so).
      if (!type) throw Ec2Errors.custom("InvalidInstanceAttributeValue", `Value (${instanceTypeValue}) for parameter instanceType is invalid.`);
      const zone = findZone(scope.region, record.Placement!.AvailabilityZone!);
      if (zone && !offeredInZone(scope.region, zone, instanceTypeValue)) {
        throw Ec2Errors.custom("Unsupported", `The requested instance type (${instanceTypeValue}) is not supported in the Availability Zone (${zone.name}) of the instance.`);
      }
    }
    if (userData !== undefined) {
      requireStopped();
      if (userData.length > MAX_USER_DATA_BYTES) throw Ec2Errors.invalidParameterValue(`User data is limited to ${MAX_USER_DATA_BYTES} bytes`);
    }
    if (ebsOptimized !== undefined || enaSupport !== undefined) requireStopped();
    if (shutdown !== undefined && shutdown !== "stop" && shutdown !== "terminate") throw Ec2Errors.invalidValueFor(shutdown, "InstanceInitiatedShutdownBehavior");
    let resolvedGroups: Array<{ GroupId?: string; GroupName?: string }> | undefined;
    if (groups) {
      if (groups.length === 0) throw Ec2Errors.missingParameter("GroupId");
      resolvedGroups = this.groups.resolveForLaunch(scope, record.VpcId!, groups, []).map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName }));
    }
    const changes = [instanceTypeValue, userData, disableApiTermination, disableApiStop, sourceDestCheck, ebsOptimized, enaSupport, shutdown, resolvedGroups];
    if (changes.every((c) => c === undefined) && !deleteOnTermination.length) throw Ec2Errors.missingParameter("Attribute");

    for (const mapping of deleteOnTermination) this.state.storage.setDeleteOnTermination(scope, id, mapping.DeviceName!, mapping.Ebs!.DeleteOnTermination!);

    this.state.instances(scope).update(id, (r) => {
      if (instanceTypeValue !== undefined) {
        const type = instanceType(instanceTypeValue)!;
        r.InstanceType = type.InstanceType;
        r.CpuOptions = { CoreCount: type.VCpuInfo?.DefaultCores, ThreadsPerCore: type.VCpuInfo?.DefaultThreadsPerCore };
      }
      if (userData !== undefined) r._userData = userData.length ? userData.toString("base64") : undefined;
      if (disableApiTermination !== undefined) r._disableApiTermination = disableApiTermination;
      if (disableApiStop !== undefined) r._disableApiStop = disableApiStop;
      if (sourceDestCheck !== undefined) r.SourceDestCheck = sourceDestCheck;
      if (ebsOptimized !== undefined) r.EbsOptimized = ebsOptimized;
      if (enaSupport !== undefined) r.EnaSupport = enaSupport;
      if (shutdown !== undefined) r._shutdownBehavior = shutdown as "stop" | "terminate";
      if (resolvedGroups) r.SecurityGroups = resolvedGroups;
    });
  }

  GetConsoleOutput(input: GetConsoleOutputRequest, ctx: CallContext): GetConsoleOutputResult {
    const scope = scopeOf(ctx);
    const [record] = this.instances.require(scope, [input.InstanceId]);
    const now = this.cloud.clock.now();
    const text = this.instances.driver.consoleOutput(this.instances.driverView(scope, record), now);
    return {
      InstanceId: record.InstanceId,
      Timestamp: new Date(now),
      Output: text === undefined ? undefined : Buffer.from(text).toString("base64"),
    };
  }

  MonitorInstances(input: MonitorInstancesRequest, ctx: CallContext): MonitorInstancesResult {
    return { InstanceMonitorings: this.setMonitoring(scopeOf(ctx), input.InstanceIds ?? [], true) };
  }

  UnmonitorInstances(input: UnmonitorInstancesRequest, ctx: CallContext): UnmonitorInstancesResult {
    return { InstanceMonitorings: this.setMonitoring(scopeOf(ctx), input.InstanceIds ?? [], false) };
  }

  private setMonitoring(scope: Scope, ids: string[], enabled: boolean) {
    const records = this.instances.require(scope, ids);
    for (const record of records) {
      if (record.State?.Name === "terminated" || record.State?.Name === "shutting-down") {
        throw Ec2Errors.incorrectInstanceState(`The instance '${record.InstanceId}' is not in a state from which its monitoring can be changed.`);
      }
    }
    for (const record of records) this.state.instances(scope).update(record.InstanceId!, (r) => void (r.Monitoring = { State: enabled ? "enabled" : "disabled" }));
    return records.map((r) => ({ InstanceId: r.InstanceId, Monitoring: { State: enabled ? ("pending" as const) : ("disabling" as const) } }));
  }
}
