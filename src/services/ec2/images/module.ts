/**
 * Images: DescribeImages over the public catalogue and the account's own
 * images (owners, executable users, ids, filters, deprecation), CreateImage
 * from an instance (its volumes snapshotted by the volume side), image
 * attributes, DeregisterImage.
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  CreateImageRequest,
  CreateImageResult,
  DeregisterImageRequest,
  DeregisterImageResult,
  DescribeImageAttributeRequest,
  DescribeImagesRequest,
  DescribeImagesResult,
  Image,
  ImageAttribute,
  ModifyImageAttributeRequest,
} from "../../../generated/ec2.js";
import type { Job } from "../../../clock/scheduler.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { KINDS, checkIdShape } from "../lookup.js";
import { scopeOf } from "../network/module.js";
import { paginate } from "../pagination.js";
import type { Ec2State, ImageLookup } from "../state.js";
import { tagsBySpecification } from "../tags.js";
import { isPublicSnapshot, publicImages } from "./catalogue.js";

/** An image the account registered (CreateImage). */
export type ImageRecord = Image & {
  /** Account ids allowed to launch it (besides the owner); "all" when public. */
  _launchPermissions?: Array<{ UserId?: string; Group?: "all" }>;
};

/** AWS's own aliases: owner "amazon" matches these accounts' images. */
const AMAZON_ALIAS = "amazon";
/** Milliseconds between CreateImage and the image becoming available. */
const IMAGE_PENDING_MS = 10_000;
const JOB_AVAILABLE = "ec2.image.available";

export class ImagesModule implements ImageLookup {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
  ) {
    state.registerTaggable({
      prefix: "ami",
      resourceType: "image",
      collection: (scope) => this.owned(scope),
      notFound: { code: KINDS.image.notFoundCode, noun: KINDS.image.noun },
    });
    state.provideImageLookup(this);
  }

  onStart(): void {
    this.cloud.scheduler.on(JOB_AVAILABLE, (job: Job<{ imageId: string }>) => {
      const scope = { account: job.account, region: job.region };
      const image = this.owned(scope).get(job.payload.imageId);
      if (!image || image.State !== "pending") return;
      // A copied image waits for its snapshots' copies to complete.
      const snapshots = this.state.snapshots(scope);
      const waiting = (image.BlockDeviceMappings ?? []).some((m) => m.Ebs?.SnapshotId && snapshots.get(m.Ebs.SnapshotId)?.State === "pending");
      if (waiting) this.scheduleAvailable(scope, image.ImageId!);
      else this.owned(scope).update(job.payload.imageId, (record) => void (record.State = "available"));
    });
  }

  owned(scope: Scope): ScopedCollection<ImageRecord> {
    return this.state.collection<ImageRecord>("images", scope);
  }

  /** An image the caller can launch: its own, or a public one of the region. */
  find(scope: Scope, imageId: string): Image | undefined {
    return this.owned(scope).get(imageId) ?? publicImages(scope.region, this.cloud.clock.now()).byId.get(imageId);
  }

  /** The image for a launch, or AWS's error. */
  require(scope: Scope, imageId: string): Image {
    checkIdShape(imageId, { ...KINDS.image, malformedCode: "InvalidAMIID.Malformed" });
    const image = this.find(scope, imageId);
    if (!image || image.State === "deregistered") throw Ec2Errors.imageNotFound([imageId]);
    return image;
  }

  imagesUsingSnapshot(scope: Scope, snapshotId: string): string[] {
    return this.owned(scope)
      .values()
      .filter((image) => image.BlockDeviceMappings?.some((m) => m.Ebs?.SnapshotId === snapshotId))
      .map((image) => image.ImageId!);
  }

  /** Whether a snapshot is one of the public catalogue's (no bytes behind it). */
  isPublicSnapshot(scope: Scope, snapshotId: string): boolean {
    return isPublicSnapshot(scope.region, snapshotId, this.cloud.clock.now());
  }

  DescribeImages(input: DescribeImagesRequest, ctx: CallContext): DescribeImagesResult {
    const scope = scopeOf(ctx);
    const now = this.cloud.clock.now();
    const own = this.owned(scope).values();
    const catalogue = publicImages(scope.region, now);
    let candidates: Image[];
    const byIds = Boolean(input.ImageIds?.length);
    if (byIds) {
      candidates = [];
      const missing: string[] = [];
      for (const id of new Set(input.ImageIds)) {
        checkIdShape(id, { ...KINDS.image, malformedCode: "InvalidAMIID.Malformed" });
        const image = this.find(scope, id);
        if (image) candidates.push(image);
        else missing.push(id);
      }
      if (missing.length) throw Ec2Errors.imageNotFound(missing);
    } else {
      candidates = [...own, ...catalogue.images];
    }
    if (input.Owners?.length) {
      const owners = input.Owners;
      candidates = candidates.filter((image) =>
        owners.some((owner) => {
          if (owner === "self") return image.OwnerId === ctx.account;
          if (owner === AMAZON_ALIAS || owner === "aws-marketplace" || owner === "aws-backup-vault") return image.ImageOwnerAlias === owner;
          return image.OwnerId === owner;
        }),
      );
    }
    if (input.ExecutableUsers?.length) {
      const users = input.ExecutableUsers;
      candidates = candidates.filter((image) =>
        users.some((user) => {
          if (user === "all") return image.Public;
          const id = user === "self" ? ctx.account : user;
          return image.Public || image.OwnerId === id || (image as ImageRecord)._launchPermissions?.some((p) => p.UserId === id);
        }),
      );
    }
    if (!byIds && !input.IncludeDeprecated) {
      candidates = candidates.filter((image) => image.OwnerId === ctx.account || !image.DeprecationTime || Date.parse(image.DeprecationTime) > now);
    }
    const predicate = compileFilters<Image>(input.Filters, {
      fields: {
        architecture: (i) => i.Architecture,
        "block-device-mapping.delete-on-termination": (i) => i.BlockDeviceMappings?.map((m) => m.Ebs?.DeleteOnTermination),
        "block-device-mapping.device-name": (i) => i.BlockDeviceMappings?.map((m) => m.DeviceName),
        "block-device-mapping.snapshot-id": (i) => i.BlockDeviceMappings?.map((m) => m.Ebs?.SnapshotId),
        "block-device-mapping.volume-size": (i) => i.BlockDeviceMappings?.map((m) => m.Ebs?.VolumeSize),
        "block-device-mapping.volume-type": (i) => i.BlockDeviceMappings?.map((m) => m.Ebs?.VolumeType),
        "block-device-mapping.encrypted": (i) => i.BlockDeviceMappings?.map((m) => m.Ebs?.Encrypted),
        "creation-date": (i) => i.CreationDate,
        "deprecation-time": (i) => i.DeprecationTime,
        description: (i) => i.Description,
        "ena-support": (i) => i.EnaSupport,
        "free-tier-eligible": (i) => i.FreeTierEligible,
        hypervisor: (i) => i.Hypervisor,
        "image-allowed": () => true,
        "image-id": (i) => i.ImageId,
        "image-type": (i) => i.ImageType,
        "imds-support": (i) => i.ImdsSupport,
        "is-public": (i) => i.Public,
        "kernel-id": (i) => i.KernelId,
        "manifest-location": (i) => i.ImageLocation,
        name: (i) => i.Name,
        "owner-alias": (i) => i.ImageOwnerAlias,
        "owner-id": (i) => i.OwnerId,
        platform: (i) => i.Platform,
        "platform-details": (i) => i.PlatformDetails,
        "product-code": (i) => i.ProductCodes?.map((p) => p.ProductCodeId),
        "product-code.type": (i) => i.ProductCodes?.map((p) => p.ProductCodeType),
        "ramdisk-id": (i) => i.RamdiskId,
        "root-device-name": (i) => i.RootDeviceName,
        "root-device-type": (i) => i.RootDeviceType,
        "source-image-id": (i) => i.SourceImageId,
        "source-image-region": (i) => i.SourceImageRegion,
        "source-instance-id": (i) => i.SourceInstanceId,
        state: (i) => i.State,
        "state-reason-code": (i) => i.StateReason?.Code,
        "state-reason-message": (i) => i.StateReason?.Message,
        "sriov-net-support": (i) => i.SriovNetSupport,
        "tpm-support": (i) => i.TpmSupport,
        "usage-operation": (i) => i.UsageOperation,
        "virtualization-type": (i) => i.VirtualizationType,
        "boot-mode": (i) => i.BootMode,
      },
      tags: tagsOf,
    });
    const page = paginate(candidates.filter(predicate), input, { min: 1, max: 1000, idsParameter: "imagesSet" }, (i) => i.ImageId!, byIds);
    return { Images: page.items.map(view), NextToken: page.nextToken };
  }

  CreateImage(input: CreateImageRequest, ctx: CallContext): CreateImageResult {
    const scope = scopeOf(ctx);
    const byType = tagsBySpecification(input.TagSpecifications, ["image", "snapshot"]);
    checkIdShape(input.InstanceId, KINDS.instance);
    const instance = this.state.instanceLookup.find(scope, input.InstanceId);
    if (!instance || instance.State?.Name === "terminated") throw Ec2Errors.notFound(KINDS.instance.notFoundCode, KINDS.instance.noun, [input.InstanceId]);
    if (instance.State?.Name !== "running" && instance.State?.Name !== "stopped") {
      throw Ec2Errors.incorrectInstanceState(`The instance '${input.InstanceId}' is not in a state from which it can be imaged.`);
    }
    const name = input.Name;
    this.checkNewName(scope, name);
    const source = this.find(scope, instance.ImageId ?? "");
    const imageId = ec2Id("ami");
    const excluded = (input.BlockDeviceMappings ?? []).filter((m) => m.NoDevice !== undefined).map((m) => m.DeviceName!);
    const snapshots = this.state.storage.snapshotInstanceVolumes(scope, {
      instanceId: instance.InstanceId!,
      imageId,
      description: `Created by CreateImage(${instance.InstanceId}) for ${imageId}`,
      tags: byType.get("snapshot") ?? [],
      excludeDevices: excluded,
    });
    const record: ImageRecord = {
      ImageId: imageId,
      ImageLocation: `${scope.account}/${name}`,
      State: "pending",
      OwnerId: scope.account,
      CreationDate: this.cloud.clock.date().toISOString(),
      Public: false,
      Architecture: instance.Architecture ?? source?.Architecture ?? "x86_64",
      ImageType: "machine",
      Name: name,
      Description: input.Description,
      RootDeviceType: "ebs",
      RootDeviceName: instance.RootDeviceName ?? source?.RootDeviceName ?? "/dev/xvda",
      BlockDeviceMappings: snapshots.map((s) => ({
        DeviceName: s.DeviceName,
        Ebs: {
          DeleteOnTermination: s.DeleteOnTermination,
          SnapshotId: s.SnapshotId,
          VolumeSize: s.VolumeSize,
          VolumeType: s.VolumeType as never,
          Encrypted: s.Encrypted,
          Iops: s.Iops,
          Throughput: s.Throughput,
        },
      })),
      VirtualizationType: "hvm",
      Hypervisor: "xen",
      EnaSupport: instance.EnaSupport ?? true,
      SriovNetSupport: "simple",
      BootMode: source?.BootMode,
      ImdsSupport: source?.ImdsSupport,
      PlatformDetails: instance.PlatformDetails ?? "Linux/UNIX",
      UsageOperation: instance.UsageOperation ?? "RunInstances",
      SourceInstanceId: instance.InstanceId,
      Tags: byType.get("image") ?? [],
      _launchPermissions: [],
    };
    this.owned(scope).put(imageId, record);
    this.scheduleAvailable(scope, imageId);
    return { ImageId: imageId };
  }

  /** A new image's name: AWS's pattern, unique among the account's images of the region. */
  checkNewName(scope: Scope, name: string | undefined): void {
    if (!name) throw Ec2Errors.missingParameter("name");
    if (name.length < 3 || name.length > 128 || !/^[a-zA-Z0-9()[\] ./\-'@_]+$/.test(name)) {
      throw Ec2Errors.custom(
        "InvalidAMIName.Malformed",
        "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'",
      );
    }
    const duplicate = this.owned(scope).values().find((image) => image.Name === name);
    if (duplicate) throw Ec2Errors.custom("InvalidAMIName.Duplicate", `AMI name ${name} is already in use by AMI ${duplicate.ImageId}`);
  }

  /** A pending image becomes available after IMAGE_PENDING_MS, once its snapshots are complete. */
  scheduleAvailable(scope: Scope, imageId: string, inMs = IMAGE_PENDING_MS): void {
    this.cloud.scheduler.schedule({
      kind: JOB_AVAILABLE,
      due: this.cloud.clock.now() + inMs,
      key: `ec2/image/${scope.account}/${scope.region}/${imageId}`,
      account: scope.account,
      region: scope.region,
      payload: { imageId },
    });
  }

  DeregisterImage(input: DeregisterImageRequest, ctx: CallContext): DeregisterImageResult {
    const scope = scopeOf(ctx);
    const image = this.requireOwned(scope, input.ImageId);
    if (image.DeregistrationProtection?.startsWith("enabled")) {
      throw Ec2Errors.invalidParameterValue(`Image ${image.ImageId} has deregistration protection enabled.`);
    }
    this.owned(scope).delete(image.ImageId!);
    this.cloud.scheduler.cancel(`ec2/image/${scope.account}/${scope.region}/${image.ImageId}`);
    return { Return: true };
  }

  DescribeImageAttribute(input: DescribeImageAttributeRequest, ctx: CallContext): ImageAttribute {
    const scope = scopeOf(ctx);
    const image = this.require(scope, input.ImageId);
    const out: ImageAttribute = { ImageId: image.ImageId };
    const value = (v: string | undefined) => (v === undefined ? {} : { Value: v });
    switch (input.Attribute) {
      case "description":
        out.Description = value(image.Description);
        break;
      case "kernel":
        out.KernelId = value(image.KernelId);
        break;
      case "ramdisk":
        out.RamdiskId = value(image.RamdiskId);
        break;
      case "launchPermission":
        if (image.OwnerId !== ctx.account) throw Ec2Errors.custom("AuthFailure", `Not authorized for image:${image.ImageId}`);
        out.LaunchPermissions = (image as ImageRecord)._launchPermissions ?? [];
        break;
      case "productCodes":
        out.ProductCodes = image.ProductCodes ?? [];
        break;
      case "blockDeviceMapping":
        out.BlockDeviceMappings = image.BlockDeviceMappings ?? [];
        break;
      case "sriovNetSupport":
        out.SriovNetSupport = value(image.SriovNetSupport);
        break;
      case "bootMode":
        out.BootMode = value(image.BootMode);
        break;
      case "tpmSupport":
        out.TpmSupport = value(image.TpmSupport);
        break;
      case "uefiData":
        out.UefiData = {};
        break;
      case "lastLaunchedTime":
        out.LastLaunchedTime = value(image.LastLaunchedTime);
        break;
      case "imdsSupport":
        out.ImdsSupport = value(image.ImdsSupport);
        break;
      case "deregistrationProtection":
        out.DeregistrationProtection = { Value: image.DeregistrationProtection ?? "disabled" };
        break;
      default:
        throw Ec2Errors.invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. Unknown attribute.`);
    }
    return out;
  }

  ModifyImageAttribute(input: ModifyImageAttributeRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const image = this.requireOwned(scope, input.ImageId);
    this.owned(scope).update(image.ImageId!, (record) => {
      if (input.Description?.Value !== undefined) record.Description = input.Description.Value;
      if (input.ImdsSupport?.Value !== undefined) record.ImdsSupport = input.ImdsSupport.Value as never;
      const permissions = record._launchPermissions ?? [];
      const add = [...(input.LaunchPermission?.Add ?? [])];
      const remove = [...(input.LaunchPermission?.Remove ?? [])];
      const attribute = input.Attribute ?? (input.UserIds || input.UserGroups ? "launchPermission" : undefined);
      if (attribute === "launchPermission") {
        const entries = [...(input.UserIds ?? []).map((UserId) => ({ UserId })), ...(input.UserGroups ?? []).map((g) => ({ Group: g as "all" }))];
        (input.OperationType === "remove" ? remove : add).push(...entries);
      }
      for (const entry of add) if (!permissions.some((p) => p.UserId === entry.UserId && p.Group === entry.Group)) permissions.push({ UserId: entry.UserId, Group: entry.Group as "all" | undefined });
      record._launchPermissions = permissions.filter((p) => !remove.some((r) => r.UserId === p.UserId && r.Group === p.Group));
      record.Public = record._launchPermissions.some((p) => p.Group === "all");
    });
  }

  /** An image the caller owns, or AWS's error for one it can only see (or can't). */
  private requireOwned(scope: Scope, imageId: string): ImageRecord {
    checkIdShape(imageId, { ...KINDS.image, malformedCode: "InvalidAMIID.Malformed" });
    const owned = this.owned(scope).get(imageId);
    if (owned) return owned;
    if (this.find(scope, imageId)) throw Ec2Errors.custom("AuthFailure", `Not authorized for image:${imageId}`);
    throw Ec2Errors.imageNotFound([imageId]);
  }
}

/** An image as Describe shows it (internal fields dropped). */
function view(image: Image): Image {
  const { _launchPermissions: _, ...rest } = image as ImageRecord;
  return { ...rest, Tags: rest.Tags?.length ? rest.Tags : undefined };
}
