/**
 * A minimal InstanceStorage: volume and snapshot records without bytes, used
 * only until the volume side (src/services/ec2 ebs module) registers the real
 * one. It keeps RunInstances, DescribeInstances' block device mappings,
 * CreateImage and termination coherent on their own.
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type { Instance, Tag } from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { Ec2Errors } from "../errors.js";
import type { Ec2State, ImageVolumeSnapshot, InstanceStorage, LaunchMapping, VolumeRecord } from "../state.js";

const SIZE_LIMITS: Record<string, [number, number]> = {
  gp2: [1, 16384],
  gp3: [1, 16384],
  io1: [4, 16384],
  io2: [4, 65536],
  st1: [125, 16384],
  sc1: [125, 16384],
  standard: [1, 1024],
};

export class MinimalInstanceStorage implements InstanceStorage {
  constructor(
    private readonly cloud: Cloud,
    private readonly state: Ec2State,
  ) {}

  launchVolumes(
    scope: Scope,
    request: { instanceId: string; availabilityZone: string; rootDeviceName: string; mappings: LaunchMapping[]; tags: Tag[] },
  ): NonNullable<Instance["BlockDeviceMappings"]> {
    const now = this.cloud.clock.date();
    const out: NonNullable<Instance["BlockDeviceMappings"]> = [];
    const volumes: VolumeRecord[] = [];
    for (const mapping of request.mappings) {
      const type = mapping.VolumeType ?? "gp2";
      const limits = SIZE_LIMITS[type];
      if (!limits) throw Ec2Errors.invalidParameterValue(`Value (${type}) for parameter volumeType is invalid. Valid volume types are standard, io1, io2, gp2, sc1, st1, and gp3.`);
      const size = mapping.VolumeSize ?? 8;
      if (size < limits[0] || size > limits[1]) {
        throw Ec2Errors.invalidParameterValue(`Volume of ${size}GiB is outside the range ${limits[0]}-${limits[1]}GiB for volume type ${type}.`);
      }
      const volumeId = ec2Id("vol");
      volumes.push({
        VolumeId: volumeId,
        Size: size,
        SnapshotId: mapping.SnapshotId ?? "",
        AvailabilityZone: request.availabilityZone,
        State: "in-use",
        CreateTime: now,
        Attachments: [
          {
            AttachTime: now,
            Device: mapping.DeviceName,
            InstanceId: request.instanceId,
            State: "attached",
            VolumeId: volumeId,
            DeleteOnTermination: mapping.DeleteOnTermination ?? true,
          },
        ],
        VolumeType: type as VolumeRecord["VolumeType"],
        Iops: type === "gp3" ? (mapping.Iops ?? 3000) : type === "gp2" ? Math.min(16000, Math.max(100, size * 3)) : mapping.Iops,
        Throughput: type === "gp3" ? (mapping.Throughput ?? 125) : undefined,
        Encrypted: mapping.Encrypted ?? false,
        MultiAttachEnabled: false,
        Tags: request.tags,
      });
      out.push({
        DeviceName: mapping.DeviceName,
        Ebs: { AttachTime: now, DeleteOnTermination: mapping.DeleteOnTermination ?? true, Status: "attached", VolumeId: volumeId },
      });
    }
    for (const volume of volumes) this.state.volumes(scope).put(volume.VolumeId!, volume);
    return out;
  }

  instanceTerminated(scope: Scope, instanceId: string): void {
    const volumes = this.state.volumes(scope);
    for (const volume of volumes.values()) {
      const attachment = volume.Attachments?.find((a) => a.InstanceId === instanceId);
      if (!attachment) continue;
      if (attachment.DeleteOnTermination) volumes.delete(volume.VolumeId!);
      else volumes.update(volume.VolumeId!, (v) => {
        v.Attachments = [];
        v.State = "available";
      });
    }
  }

  setDeleteOnTermination(scope: Scope, instanceId: string, device: string, value: boolean): boolean {
    const volumes = this.state.volumes(scope);
    const volume = volumes.values().find((v) => v.Attachments?.some((a) => a.InstanceId === instanceId && a.Device === device));
    if (!volume) return false;
    volumes.update(volume.VolumeId!, (v) => {
      for (const a of v.Attachments ?? []) if (a.InstanceId === instanceId) a.DeleteOnTermination = value;
    });
    return true;
  }

  snapshotInstanceVolumes(
    scope: Scope,
    request: { instanceId: string; imageId: string; description: string; tags: Tag[]; excludeDevices?: string[] },
  ): ImageVolumeSnapshot[] {
    const out: ImageVolumeSnapshot[] = [];
    for (const volume of this.state.volumes(scope).values()) {
      const attachment = volume.Attachments?.find((a) => a.InstanceId === request.instanceId);
      if (!attachment || request.excludeDevices?.includes(attachment.Device!)) continue;
      const snapshotId = ec2Id("snap");
      this.state.snapshots(scope).put(snapshotId, {
        SnapshotId: snapshotId,
        VolumeId: volume.VolumeId,
        VolumeSize: volume.Size,
        State: "completed",
        Progress: "100%",
        StartTime: this.cloud.clock.date(),
        OwnerId: scope.account,
        Description: request.description,
        Encrypted: volume.Encrypted ?? false,
        StorageTier: "standard",
        Tags: request.tags,
      });
      out.push({
        DeviceName: attachment.Device!,
        SnapshotId: snapshotId,
        VolumeSize: volume.Size!,
        VolumeType: volume.VolumeType!,
        DeleteOnTermination: attachment.DeleteOnTermination ?? true,
        Iops: volume.Iops,
        Throughput: volume.Throughput,
        Encrypted: volume.Encrypted ?? false,
      });
    }
    return out.sort((a, b) => (a.DeviceName < b.DeviceName ? -1 : 1));
  }
}
