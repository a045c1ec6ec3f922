/**
 * The volume side of the EC2 ↔ EBS contract (InstanceStorage in ../state.ts):
 * the volumes an instance gets at launch, what happens to them at
 * termination, and the snapshots CreateImage takes.
 */
import path from "node:path";
import type { Cloud } from "../../../cloud.js";
import type { Instance, Tag } from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import type { EbsProvider } from "../../ebs/provider.js";
import type { VolumeBytes } from "../instances/driver.js";
import type { ImageVolumeSnapshot, InstanceStorage, LaunchMapping } from "../state.js";

export class VolumeInstanceStorage implements InstanceStorage {
  constructor(readonly cloud: Cloud) {}

  private get ebs(): EbsProvider {
    return this.cloud.provider<EbsProvider>("ebs");
  }

  launchVolumes(
    scope: Scope,
    request: { instanceId: string; availabilityZone: string; rootDeviceName: string; mappings: LaunchMapping[]; tags: Tag[] },
  ): NonNullable<Instance["BlockDeviceMappings"]> {
    const ebs = this.ebs;
    // Check every mapping before creating any volume: a launch is all or nothing.
    const planned = request.mappings.map((mapping) => {
      // An image's own snapshot that this cloud does not hold (a public catalogue AMI) gives an empty volume.
      const known = mapping.SnapshotId ? ebs.snapshots.findRestorable(scope, mapping.SnapshotId) : undefined;
      const snapshotId = known ? mapping.SnapshotId : undefined;
      const size = mapping.VolumeSize ?? (known ? undefined : 8);
      ebs.volumes.resolve(scope, {
        Size: size,
        VolumeType: mapping.VolumeType,
        Iops: mapping.Iops,
        Throughput: mapping.Throughput,
        SnapshotId: snapshotId,
        Encrypted: mapping.Encrypted,
        KmsKeyId: mapping.KmsKeyId,
      });
      return { mapping, snapshotId, imageSnapshotId: known ? undefined : mapping.SnapshotId, size };
    });
    const now = this.cloud.clock.now();
    const out: NonNullable<Instance["BlockDeviceMappings"]> = [];
    for (const { mapping, snapshotId, imageSnapshotId, size } of planned) {
      const deleteOnTermination = mapping.DeleteOnTermination ?? true;
      const volume = ebs.volumes.create(scope, {
        AvailabilityZone: request.availabilityZone,
        Size: size,
        VolumeType: mapping.VolumeType,
        Iops: mapping.Iops,
        Throughput: mapping.Throughput,
        SnapshotId: snapshotId,
        Encrypted: mapping.Encrypted,
        KmsKeyId: mapping.KmsKeyId,
        tags: request.tags,
        imageSnapshotId,
        attachment: { instanceId: request.instanceId, device: mapping.DeviceName, deleteOnTermination },
      });
      out.push({
        DeviceName: mapping.DeviceName,
        Ebs: { VolumeId: volume.VolumeId, Status: "attached", AttachTime: new Date(now), DeleteOnTermination: deleteOnTermination },
      });
    }
    return out;
  }

  instanceTerminated(scope: Scope, instanceId: string): void {
    this.ebs.volumes.instanceTerminated(scope, instanceId);
  }

  setDeleteOnTermination(scope: Scope, instanceId: string, device: string, value: boolean): boolean {
    return this.ebs.volumes.setDeleteOnTermination(scope, instanceId, device, value);
  }

  snapshotInstanceVolumes(
    scope: Scope,
    request: { instanceId: string; imageId: string; description: string; tags: Tag[]; excludeDevices?: string[] },
  ): ImageVolumeSnapshot[] {
    return this.ebs.snapshots.forImage(scope, request);
  }
}

/** The volumes' bytes as a driver that runs instances uses them (its block devices). */
export function volumeBytes(cloud: Cloud): VolumeBytes {
  const blocks = () => cloud.provider<EbsProvider>("ebs").blocks;
  return {
    async file(volumeId) {
      await blocks().prepareVolume(volumeId);
      return blocks().volumePath(volumeId);
    },
    exposed: (volumeId, exposed) => {
      if (blocks().hasVolume(volumeId)) blocks().expose(volumeId, exposed);
    },
    recordIo: (volumeId, io) => blocks().recordIo(volumeId, io),
    get dir() {
      return path.dirname(blocks().volumePath("vol-0"));
    },
  };
}
