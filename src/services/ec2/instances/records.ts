/** Instance states and how a stored instance record is shown by the API. */
import type { Instance, InstanceBlockDeviceMapping, InstanceNetworkInterface, InstanceStateName } from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { publicDnsName } from "../network/public-ips.js";
import type { InstanceRecord, VolumeRecord } from "../state.js";

export const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export function stateOf(name: InstanceStateName): { Code: number; Name: InstanceStateName } {
  return { Code: STATE_CODES[name], Name: name };
}

/** Whether an instance is up or on its way up (pending or running). */
export function isUp(record: InstanceRecord): boolean {
  return record.State?.Name === "running" || record.State?.Name === "pending";
}

/** The public address an instance shows: its Elastic IP, else its auto-assigned one. */
export function publicIpOf(record: InstanceRecord): string | undefined {
  return record._eip?.publicIp ?? record._publicIp;
}

/**
 * Block device mappings of the instances of a scope (of those in `only`, when
 * given), from the volumes attached to them.
 */
export function attachmentsByInstance(volumes: readonly VolumeRecord[], only?: ReadonlySet<string>): Map<string, InstanceBlockDeviceMapping[]> {
  const out = new Map<string, InstanceBlockDeviceMapping[]>();
  for (const volume of volumes) {
    for (const attachment of volume.Attachments ?? []) {
      if (!attachment.InstanceId || attachment.State === "detached") continue;
      if (only && !only.has(attachment.InstanceId)) continue;
      let list = out.get(attachment.InstanceId);
      if (!list) out.set(attachment.InstanceId, (list = []));
      list.push({
        DeviceName: attachment.Device,
        Ebs: {
          AttachTime: attachment.AttachTime,
          DeleteOnTermination: attachment.DeleteOnTermination ?? false,
          Status: attachment.State as "attaching" | "attached" | "detaching" | undefined,
          VolumeId: volume.VolumeId,
        },
      });
    }
  }
  return out;
}

/** The instance as Describe* and RunInstances show it. */
export function instanceView(
  record: InstanceRecord,
  scope: Scope,
  mappings: InstanceBlockDeviceMapping[] | undefined,
  /** Interfaces of their own attached to the instance (device index 1 and up). */
  secondary: InstanceNetworkInterface[] = [],
): Instance {
  const {
    _userData,
    _hideAfter,
    _reservationId,
    _requesterId,
    _createdAt,
    _autoPublicIp,
    _publicIp,
    _eip,
    _bootStartedAt,
    _runningSince,
    _lastRun,
    _disableApiTermination,
    _disableApiStop,
    _shutdownBehavior,
    _eni,
    _cpuCredits,
    _profileAssociation,
    ...instance
  } = record;
  const publicIp = publicIpOf(record);
  const publicDns = publicIp ? publicDnsName(scope.region, publicIp) : "";
  const association = publicIp ? { IpOwnerId: _eip ? scope.account : "amazon", PublicDnsName: publicDns, PublicIp: publicIp } : undefined;
  const terminated = record.State?.Name === "terminated";
  const pending = record.State?.Name === "pending";
  // While a new instance is pending, EC2 shows why and that its interface and metadata options are still being set up.
  const launching = pending && !_lastRun;
  const view: Instance = {
    ...instance,
    StateReason: instance.StateReason ?? (pending ? { Code: "pending", Message: "pending" } : undefined),
    MetadataOptions: launching && instance.MetadataOptions ? { ...instance.MetadataOptions, State: "pending" } : instance.MetadataOptions,
    Tags: instance.Tags?.length ? instance.Tags : undefined,
    PublicIpAddress: publicIp,
    PublicDnsName: terminated ? "" : publicDns,
    PrivateDnsName: terminated ? "" : instance.PrivateDnsName,
    BlockDeviceMappings: (mappings ?? []).sort((a, b) => (a.DeviceName! < b.DeviceName! ? -1 : 1)),
    NetworkInterfaces: terminated
      ? []
      : [
          {
            Association: association,
            Attachment: {
              AttachTime: new Date(_createdAt),
              AttachmentId: _eni.attachmentId,
              DeleteOnTermination: _eni.deleteOnTermination ?? true,
              DeviceIndex: 0,
              Status: launching ? "attaching" : "attached",
              NetworkCardIndex: 0,
            },
            Description: _eni.description ?? "",
            Groups: instance.SecurityGroups,
            Ipv6Addresses: [],
            MacAddress: _eni.mac,
            NetworkInterfaceId: _eni.id,
            OwnerId: scope.account,
            PrivateDnsName: instance.PrivateDnsName,
            PrivateIpAddress: instance.PrivateIpAddress,
            PrivateIpAddresses: [
              { Association: association, Primary: true, PrivateDnsName: instance.PrivateDnsName, PrivateIpAddress: instance.PrivateIpAddress },
            ],
            SourceDestCheck: instance.SourceDestCheck,
            Status: "in-use",
            SubnetId: instance.SubnetId,
            VpcId: instance.VpcId,
            InterfaceType: "interface",
          },
          ...secondary,
        ],
  };
  if (terminated) {
    delete view.PrivateIpAddress;
    delete view.SubnetId;
    delete view.VpcId;
    view.SecurityGroups = [];
  }
  return view;
}
