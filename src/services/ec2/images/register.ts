/**
 * Images that don't come from an instance: RegisterImage from EBS snapshots
 * and CopyImage from another (or the same) region, its snapshots copied by
 * the volume side. Both are pending until available, like CreateImage.
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type { BlockDeviceMapping, CopyImageRequest, CopyImageResult, RegisterImageRequest, RegisterImageResult } from "../../../generated/ec2.js";
import type { EbsProvider } from "../../ebs/provider.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { KINDS, checkIdShape } from "../lookup.js";
import { scopeOf } from "../network/module.js";
import { DEVICE_NAME, type Ec2State } from "../state.js";
import { tagsBySpecification } from "../tags.js";
import type { ImageRecord, ImagesModule } from "./module.js";

const ARCHITECTURES = ["i386", "x86_64", "arm64", "x86_64_mac", "arm64_mac"];

export class ImageRegistrationModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly images: ImagesModule,
  ) {}

  private get ebs(): EbsProvider {
    return this.cloud.provider<EbsProvider>("ebs");
  }

  RegisterImage(input: RegisterImageRequest, ctx: CallContext): RegisterImageResult {
    const scope = scopeOf(ctx);
    const tags = tagsBySpecification(input.TagSpecifications, ["image"]).get("image") ?? [];
    this.images.checkNewName(scope, input.Name);
    if (input.ImageLocation && !input.BlockDeviceMappings?.length) {
      throw Ec2Errors.unsupportedOperation("Instance store-backed AMIs (ImageLocation) are not supported by Stratus; register EBS snapshots instead.");
    }
    const architecture = input.Architecture ?? "x86_64";
    if (!ARCHITECTURES.includes(architecture)) throw Ec2Errors.invalidValueFor(architecture, "Architecture");
    const virtualization = input.VirtualizationType ?? "hvm";
    if (virtualization !== "hvm" && virtualization !== "paravirtual") throw Ec2Errors.invalidValueFor(virtualization, "VirtualizationType");
    const requested = input.BlockDeviceMappings ?? [];
    if (!requested.length) throw Ec2Errors.missingParameter("BlockDeviceMapping");
    const rootDeviceName = input.RootDeviceName ?? requested.find((m) => m.Ebs?.SnapshotId)?.DeviceName;
    if (!rootDeviceName) throw Ec2Errors.missingParameter("rootDeviceName");
    const mappings: BlockDeviceMapping[] = [];
    const seen = new Set<string>();
    for (const mapping of requested) {
      if (!mapping.DeviceName) throw Ec2Errors.missingParameter("BlockDeviceMapping.DeviceName");
      if (!DEVICE_NAME.test(mapping.DeviceName)) throw Ec2Errors.custom("InvalidBlockDeviceMapping", `Invalid device name ${mapping.DeviceName}`);
      if (seen.has(mapping.DeviceName)) throw Ec2Errors.custom("InvalidBlockDeviceMapping", `The device '${mapping.DeviceName}' is used in more than one block-device mapping`);
      seen.add(mapping.DeviceName);
      if (mapping.NoDevice !== undefined || mapping.VirtualName) {
        mappings.push(mapping);
        continue;
      }
      const ebs = mapping.Ebs;
      if (!ebs) throw Ec2Errors.custom("InvalidBlockDeviceMapping", `The block device mapping for ${mapping.DeviceName} must specify Ebs, VirtualName or NoDevice`);
      let size = ebs.VolumeSize;
      if (ebs.SnapshotId) {
        checkIdShape(ebs.SnapshotId, { prefix: "snap", notFoundCode: "InvalidSnapshot.NotFound", noun: "snapshot", malformedCode: "InvalidSnapshotID.Malformed" });
        const snapshot = this.ebs.snapshots.findRestorable(scope, ebs.SnapshotId);
        if (!snapshot) throw Ec2Errors.custom("InvalidSnapshot.NotFound", `The snapshot '${ebs.SnapshotId}' does not exist.`);
        if (size !== undefined && size < (snapshot.VolumeSize ?? 0)) {
          throw Ec2Errors.custom("InvalidBlockDeviceMapping", `Volume of size ${size}GB is smaller than snapshot '${ebs.SnapshotId}', expect size >= ${snapshot.VolumeSize}GB`);
        }
        size = size ?? snapshot.VolumeSize;
      } else if (size === undefined) {
        throw Ec2Errors.custom("InvalidBlockDeviceMapping", `The request must contain the parameter size or snapshotId for device ${mapping.DeviceName}`);
      } else if (mapping.DeviceName === rootDeviceName) {
        throw Ec2Errors.custom("InvalidBlockDeviceMapping", `The root device ${rootDeviceName} must be created from a snapshot.`);
      }
      mappings.push({
        DeviceName: mapping.DeviceName,
        Ebs: {
          DeleteOnTermination: ebs.DeleteOnTermination ?? true,
          SnapshotId: ebs.SnapshotId,
          VolumeSize: size,
          VolumeType: ebs.VolumeType ?? "gp2",
          Iops: ebs.Iops,
          Throughput: ebs.Throughput,
          Encrypted: ebs.SnapshotId ? (this.ebs.snapshots.findRestorable(scope, ebs.SnapshotId)?.Encrypted ?? false) : (ebs.Encrypted ?? false),
        },
      });
    }
    if (!mappings.some((m) => m.DeviceName === rootDeviceName && m.Ebs?.SnapshotId)) {
      throw Ec2Errors.custom("InvalidBlockDeviceMapping", `The root device ${rootDeviceName} must be created from a snapshot.`);
    }
    const imageId = ec2Id("ami");
    const record: ImageRecord = {
      ImageId: imageId,
      ImageLocation: `${scope.account}/${input.Name}`,
      State: "pending",
      OwnerId: scope.account,
      CreationDate: this.cloud.clock.date().toISOString(),
      Public: false,
      Architecture: architecture as ImageRecord["Architecture"],
      ImageType: "machine",
      Name: input.Name,
      Description: input.Description,
      RootDeviceType: "ebs",
      RootDeviceName: rootDeviceName,
      BlockDeviceMappings: mappings,
      VirtualizationType: virtualization as ImageRecord["VirtualizationType"],
      Hypervisor: "xen",
      EnaSupport: input.EnaSupport ?? false,
      SriovNetSupport: input.SriovNetSupport,
      BootMode: input.BootMode,
      TpmSupport: input.TpmSupport,
      ImdsSupport: input.ImdsSupport,
      PlatformDetails: "Linux/UNIX",
      UsageOperation: "RunInstances",
      KernelId: input.KernelId,
      RamdiskId: input.RamdiskId,
      Tags: tags,
      _launchPermissions: [],
    };
    this.images.owned(scope).put(imageId, record);
    this.images.scheduleAvailable(scope, imageId, 1000);
    return { ImageId: imageId };
  }

  CopyImage(input: CopyImageRequest, ctx: CallContext): CopyImageResult {
    const scope = scopeOf(ctx);
    const tags = tagsBySpecification(input.TagSpecifications, ["image", "snapshot"]);
    if (!input.SourceImageId) throw Ec2Errors.missingParameter("sourceImageId");
    if (!input.SourceRegion) throw Ec2Errors.missingParameter("sourceRegion");
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(input.SourceRegion)) {
      throw Ec2Errors.invalidParameterValue(`Invalid region: ${input.SourceRegion}`);
    }
    checkIdShape(input.SourceImageId, { ...KINDS.image, malformedCode: "InvalidAMIID.Malformed" });
    this.images.checkNewName(scope, input.Name);
    if (input.KmsKeyId !== undefined && !input.Encrypted) {
      throw Ec2Errors.custom("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set.");
    }
    const sourceScope = { account: scope.account, region: input.SourceRegion };
    const source = this.images.owned(sourceScope).get(input.SourceImageId);
    if (!source) {
      if (this.images.find(sourceScope, input.SourceImageId)) {
        throw Ec2Errors.unsupportedOperation("Copying public catalogue images is not supported by Stratus; launch them in any region instead (each region has its own ids).");
      }
      throw Ec2Errors.imageNotFound([input.SourceImageId]);
    }
    if (source.State !== "available") {
      throw Ec2Errors.custom("InvalidAMIID.Unavailable", `The image id '[${source.ImageId}]' is not available (state: ${source.State}).`);
    }
    const imageId = ec2Id("ami");
    const copiedAt = this.cloud.clock.date().toISOString();
    const mappings: BlockDeviceMapping[] = (source.BlockDeviceMappings ?? []).map((mapping) => {
      const snapshotId = mapping.Ebs?.SnapshotId;
      if (!snapshotId) return mapping;
      const copy = this.ebs.snapshots.copy(scope, {
        sourceRegion: input.SourceRegion,
        sourceSnapshotId: snapshotId,
        description: `Copied for DestinationAmi ${imageId} from SourceAmi ${source.ImageId} for SourceSnapshot ${snapshotId}. Task created on ${copiedAt}.`,
        encrypted: input.Encrypted,
        kmsKeyId: input.KmsKeyId,
        tags: tags.get("snapshot") ?? [],
      });
      return { ...mapping, Ebs: { ...mapping.Ebs, SnapshotId: copy.SnapshotId, Encrypted: copy.Encrypted, KmsKeyId: copy.KmsKeyId } };
    });
    const imageTags = input.CopyImageTags ? [...(source.Tags ?? []), ...(tags.get("image") ?? [])] : (tags.get("image") ?? []);
    const record: ImageRecord = {
      ...source,
      ImageId: imageId,
      ImageLocation: `${scope.account}/${input.Name}`,
      State: "pending",
      OwnerId: scope.account,
      CreationDate: copiedAt,
      Public: false,
      Name: input.Name,
      Description: input.Description ?? source.Description,
      BlockDeviceMappings: mappings,
      SourceImageId: source.ImageId,
      SourceImageRegion: input.SourceRegion,
      SourceInstanceId: undefined,
      DeprecationTime: undefined,
      DeregistrationProtection: undefined,
      Tags: [...new Map(imageTags.map((t) => [t.Key, t])).values()],
      _launchPermissions: [],
    };
    this.images.owned(scope).put(imageId, record);
    this.images.scheduleAvailable(scope, imageId);
    return { ImageId: imageId };
  }
}
