/**
 * Volumes: AWS's rules for creating, attaching, detaching, modifying and
 * deleting them, and their states on the clock. The EC2 API module, the
 * instance side (launch and terminate) and DLM all go through here.
 */
import { DEVICE_NAME } from "../ec2/state.js";
import { usableTier } from "./snapshot-tiers.js";
import type { Cloud } from "../../cloud.js";
import { ec2Id } from "../../core/ids.js";
import type { Tag, VolumeAttachment, VolumeModification } from "../../generated/ec2.js";
import type { Scope } from "../../state/documents.js";
import type { BlockStore } from "./blocks/block-store.js";
import type { Ec2Link } from "./ec2-link.js";
import { VolumeErrors } from "./errors.js";
import { defaultKmsKeyArn, kmsKeyArn } from "./kms-keys.js";
import type { EbsSnapshot, EbsVolume } from "./records.js";
import { VOLUME_ATTACH_MS, VOLUME_CREATE_MS, VOLUME_DETACH_MS, VOLUME_MODIFY_MS } from "./timings.js";
import { resolveVolumeSpec, type VolumeSpecInput } from "./volume-types.js";

export interface CreateVolumeOptions extends VolumeSpecInput {
  AvailabilityZone: string;
  SnapshotId?: string;
  Encrypted?: boolean;
  KmsKeyId?: string;
  tags?: Tag[];
  clientToken?: string;
  /** Launch volumes are born attached (and in-use). */
  attachment?: { instanceId: string; device: string; deleteOnTermination: boolean };
  /**
   * An image's snapshot this cloud holds no bytes for (a public catalogue AMI):
   * shown as the volume's SnapshotId; the volume starts empty.
   */
  imageSnapshotId?: string;
}

const JOB_CREATED = "ebs:volume-created";
const JOB_ATTACHED = "ebs:volume-attached";
const JOB_DETACHED = "ebs:volume-detached";
const JOB_MODIFIED = "ebs:volume-modified";

/** Linux device names EC2 accepts for EBS volumes. */
const MODIFICATION_COOLDOWN_MS = 6 * 3_600_000;

type VolumeJob = { volumeId: string; instanceId?: string; phase?: "optimizing" | "completed" };

export interface EbsSettings {
  /** EnableEbsEncryptionByDefault: every new volume is encrypted. */
  encryptionByDefault: boolean;
  /** ModifyEbsDefaultKmsKeyId: the key new encrypted volumes get (otherwise alias/aws/ebs). */
  defaultKmsKeyId?: string;
}

/** The account's EBS settings in a region. */
export class EbsSettingsStore {
  constructor(private readonly cloud: Cloud) {}

  private collection(scope: Scope) {
    return this.cloud.documents.collection<EbsSettings>("ebs", "settings").scope(scope);
  }

  get(scope: Scope): EbsSettings {
    return this.collection(scope).get("default") ?? { encryptionByDefault: false };
  }

  update(scope: Scope, changes: Partial<EbsSettings>): void {
    this.collection(scope).put("default", { ...this.get(scope), ...changes });
  }
}

export class VolumeService {
  /** Byte work (file creation, restores) still running, by volume id. */
  private readonly work = new Map<string, Promise<void>>();
  /** Called whenever a volume gets attached (metrics start ticking). */
  onAttach: () => void = () => undefined;
  /** Told of every volume created and of every volume going (billing). */
  onCreate: () => void = () => undefined;
  onDelete: (scope: Scope, volume: EbsVolume) => void = () => undefined;
  readonly settings: EbsSettingsStore;
  /** A snapshot this account may restore (its own or one shared with it); set by the provider. */
  findSnapshot: (scope: Scope, snapshotId: string) => EbsSnapshot | undefined = (scope, id) => this.ec2.snapshots(scope).get(id);

  constructor(
    private readonly cloud: Cloud,
    private readonly blocks: BlockStore,
    private readonly ec2: Ec2Link,
  ) {
    this.settings = new EbsSettingsStore(cloud);
  }

  onStart(): void {
    const scheduler = this.cloud.scheduler;
    scheduler.on<VolumeJob>(JOB_CREATED, (job) => this.finishCreate(job, job.payload.volumeId));
    scheduler.on<VolumeJob>(JOB_ATTACHED, (job) => this.finishAttach(job, job.payload));
    scheduler.on<VolumeJob>(JOB_DETACHED, (job) => this.finishDetach(job, job.payload));
    scheduler.on<VolumeJob>(JOB_MODIFIED, (job) => this.advanceModification(job, job.payload));
    // Restores a crash cut short are redone from their snapshot.
    for (const volumeId of this.blocks.unreadyVolumes()) this.track(volumeId, this.blocks.prepareVolume(volumeId));
  }

  get(scope: Scope, volumeId: string): EbsVolume {
    const volume = this.ec2.volumes(scope).get(volumeId);
    if (!volume) {
      if (!/^vol-[0-9a-f]{8}([0-9a-f]{9})?$/.test(volumeId)) throw VolumeErrors.volumeMalformed(volumeId);
      throw VolumeErrors.volumeNotFound([volumeId]);
    }
    return volume;
  }

  /** Checks a CreateVolume (or a launch mapping) and returns the volume's size and performance. */
  resolve(scope: Scope, options: Omit<CreateVolumeOptions, "AvailabilityZone" | "tags">) {
    let size = options.Size;
    const settings = this.settings.get(scope);
    // With encryption by default, Encrypted=false is overridden, as on AWS.
    let encrypted = options.Encrypted === true || settings.encryptionByDefault;
    let kmsKeyId: string | undefined;
    if (options.SnapshotId) {
      const snapshot = this.findSnapshot(scope, options.SnapshotId);
      if (!snapshot) {
        if (!/^snap-[0-9a-f]{8}([0-9a-f]{9})?$/.test(options.SnapshotId)) throw VolumeErrors.snapshotMalformed(options.SnapshotId);
        throw VolumeErrors.snapshotNotFound([options.SnapshotId]);
      }
      if (snapshot.State !== "completed") throw VolumeErrors.snapshotState(options.SnapshotId, snapshot.State ?? "pending");
      if (!usableTier(snapshot)) throw VolumeErrors.snapshotState(options.SnapshotId, "archived");
      const snapshotSize = snapshot.VolumeSize ?? 0;
      size ??= snapshotSize;
      if (size < snapshotSize) throw VolumeErrors.smallerThanSnapshot(size, options.SnapshotId, snapshotSize);
      if (snapshot.Encrypted) {
        if (options.Encrypted === false) throw VolumeErrors.encryptedSnapshotUnencryptedVolume();
        encrypted = true;
        kmsKeyId = snapshot.KmsKeyId;
      }
    }
    if (size === undefined) throw VolumeErrors.missingSize();
    if (options.KmsKeyId !== undefined) {
      if (!encrypted) throw VolumeErrors.kmsWithoutEncryption();
      kmsKeyId = kmsKeyArn(scope, options.KmsKeyId);
    } else if (encrypted) {
      kmsKeyId ??= settings.defaultKmsKeyId ?? defaultKmsKeyArn(scope);
    }
    const spec = resolveVolumeSpec({ ...options, Size: size });
    return { spec, encrypted, kmsKeyId };
  }

  checkZone(region: string, zone: string | undefined): { ZoneName: string; ZoneId: string } {
    if (!zone) throw VolumeErrors.missingZone();
    const found = this.ec2.zones(region).find((z) => z.ZoneName === zone || z.ZoneId === zone);
    if (!found) throw VolumeErrors.badZone(zone);
    return found;
  }

  /** A new volume, "creating" until its bytes are in place and VOLUME_CREATE_MS passed. */
  create(scope: Scope, options: CreateVolumeOptions): EbsVolume {
    const zone = this.checkZone(scope.region, options.AvailabilityZone);
    const { spec, encrypted, kmsKeyId } = this.resolve(scope, options);
    const volumeId = ec2Id("vol");
    const now = this.cloud.clock.now();
    const attachment = options.attachment;
    const record: EbsVolume = {
      VolumeId: volumeId,
      Size: spec.size,
      SnapshotId: options.SnapshotId ?? options.imageSnapshotId ?? "",
      AvailabilityZone: zone.ZoneName,
      AvailabilityZoneId: zone.ZoneId,
      State: attachment ? "in-use" : "creating",
      CreateTime: new Date(now),
      Attachments: attachment
        ? [
            {
              VolumeId: volumeId,
              InstanceId: attachment.instanceId,
              Device: attachment.device,
              State: "attached",
              AttachTime: new Date(now),
              DeleteOnTermination: attachment.deleteOnTermination,
            },
          ]
        : [],
      VolumeType: spec.type,
      Iops: spec.iops,
      Throughput: spec.throughput,
      Encrypted: encrypted,
      KmsKeyId: kmsKeyId,
      MultiAttachEnabled: spec.multiAttach,
      Tags: options.tags?.length ? options.tags : undefined,
      _clientToken: options.clientToken,
    };
    this.cloud.documents.transaction(() => {
      this.ec2.volumes(scope).put(volumeId, record);
      this.cloud.scheduler.schedule<VolumeJob>({ kind: JOB_CREATED, due: now + VOLUME_CREATE_MS, key: `${JOB_CREATED}:${volumeId}`, payload: { volumeId }, ...scope });
    });
    this.track(volumeId, this.blocks.createVolume({ volumeId, region: scope.region, sizeGiB: spec.size, snapshotId: options.SnapshotId || undefined }));
    this.onCreate();
    if (attachment) this.onAttach();
    return record;
  }

  /** Resolves when the volume's bytes are in place (restores run in the background). */
  ready(volumeId: string): Promise<void> {
    return this.work.get(volumeId) ?? Promise.resolve();
  }

  private track(volumeId: string, promise: Promise<void>): void {
    const tracked = promise.finally(() => {
      if (this.work.get(volumeId) === tracked) this.work.delete(volumeId);
    });
    tracked.catch(() => undefined);
    this.work.set(volumeId, tracked);
  }

  private async finishCreate(job: Scope, volumeId: string): Promise<void> {
    let failed = false;
    try {
      await this.ready(volumeId);
    } catch (error) {
      failed = true;
      this.cloud.log.error(`ebs: could not prepare ${volumeId}`, error);
    }
    const scope = { account: job.account, region: job.region };
    this.ec2.volumes(scope).update(volumeId, (volume) => {
      if (volume.State === "creating") volume.State = failed || !this.blocks.isReady(volumeId) ? "error" : "available";
    });
  }

  /** Deletes an available volume and its bytes. */
  async delete(scope: Scope, volumeId: string): Promise<void> {
    const volume = this.get(scope, volumeId);
    const attachment = volume.Attachments?.[0];
    if (attachment) throw VolumeErrors.attachedOnDelete(volumeId, attachment.InstanceId ?? "");
    if (volume.State !== "available" && volume.State !== "error") throw VolumeErrors.notAvailable(volumeId, volume.State ?? "creating");
    await this.remove(scope, volumeId);
  }

  /** Forgets the volume now; its bytes go once any work on them has finished. */
  private remove(scope: Scope, volumeId: string): Promise<void> {
    const volume = this.ec2.volumes(scope).get(volumeId);
    if (volume) this.onDelete(scope, volume);
    this.cloud.documents.transaction(() => {
      this.ec2.volumes(scope).delete(volumeId);
      this.cloud.scheduler.cancel(`${JOB_CREATED}:${volumeId}`);
      this.cloud.scheduler.cancel(`${JOB_MODIFIED}:${volumeId}`);
      this.cloud.scheduler.cancelPrefix(`${JOB_ATTACHED}:${volumeId}:`);
      this.cloud.scheduler.cancelPrefix(`${JOB_DETACHED}:${volumeId}:`);
    });
    const gone = this.ready(volumeId)
      .catch(() => undefined)
      .then(() => this.blocks.deleteVolume(volumeId));
    gone.catch((error) => this.cloud.log.error(`ebs: could not delete the bytes of ${volumeId}`, error));
    return gone;
  }

  /** AttachVolume's rules; the attachment is "attaching" for VOLUME_ATTACH_MS. */
  attach(scope: Scope, request: { volumeId: string; instanceId: string; device: string }): VolumeAttachment {
    const volume = this.get(scope, request.volumeId);
    const instance = this.ec2.instance(scope, request.instanceId);
    if (!instance || instance.State?.Name === "terminated") throw VolumeErrors.instanceNotFound(request.instanceId);
    if (!DEVICE_NAME.test(request.device)) throw VolumeErrors.badDevice(request.device);
    const attachments = volume.Attachments ?? [];
    if (attachments.length > 0 && (!volume.MultiAttachEnabled || attachments.some((a) => a.InstanceId === request.instanceId))) {
      throw VolumeErrors.alreadyAttached(request.volumeId);
    }
    if (volume.State !== "available" && volume.State !== "in-use") throw VolumeErrors.notAvailable(request.volumeId, volume.State ?? "creating");
    if (volume.AvailabilityZone !== instance.Placement?.AvailabilityZone) throw VolumeErrors.zoneMismatch(request.volumeId, request.instanceId);
    const instanceState = instance.State?.Name ?? "pending";
    if (instanceState !== "running" && instanceState !== "stopped") throw VolumeErrors.instanceState(request.instanceId, instanceState);
    if (this.devicesInUse(scope, request.instanceId).has(request.device)) throw VolumeErrors.deviceInUse(request.device);
    const now = this.cloud.clock.now();
    const attachment: VolumeAttachment = {
      VolumeId: request.volumeId,
      InstanceId: request.instanceId,
      Device: request.device,
      State: "attaching",
      AttachTime: new Date(now),
      DeleteOnTermination: false,
    };
    this.cloud.documents.transaction(() => {
      this.ec2.volumes(scope).update(request.volumeId, (v) => {
        v.Attachments = [...(v.Attachments ?? []), attachment];
        v.State = "in-use";
      });
      this.onAttach();
      this.cloud.scheduler.schedule<VolumeJob>({
        kind: JOB_ATTACHED,
        due: now + VOLUME_ATTACH_MS,
        key: `${JOB_ATTACHED}:${request.volumeId}:${request.instanceId}`,
        payload: { volumeId: request.volumeId, instanceId: request.instanceId },
        ...scope,
      });
    });
    return attachment;
  }

  private finishAttach(job: Scope, payload: VolumeJob): void {
    const scope = { account: job.account, region: job.region };
    this.ec2.volumes(scope).update(payload.volumeId, (v) => {
      for (const a of v.Attachments ?? []) if (a.InstanceId === payload.instanceId && a.State === "attaching") a.State = "attached";
    });
    this.ec2.attachmentsChanged(scope, payload.instanceId!);
  }

  /** DetachVolume's rules; the attachment is "detaching" for VOLUME_DETACH_MS. */
  detach(scope: Scope, request: { volumeId: string; instanceId?: string; device?: string; force?: boolean }): VolumeAttachment {
    const volume = this.get(scope, request.volumeId);
    const attachments = volume.Attachments ?? [];
    if (attachments.length === 0) throw VolumeErrors.notAttached(request.volumeId);
    const attachment = attachments.find(
      (a) => (!request.instanceId || a.InstanceId === request.instanceId) && (!request.device || a.Device === request.device),
    );
    if (!attachment) throw VolumeErrors.attachmentNotFound(request.volumeId, request.instanceId ?? attachments[0].InstanceId ?? "");
    const instance = this.ec2.instance(scope, attachment.InstanceId!);
    if (instance && instance.RootDeviceName === attachment.Device && instance.State?.Name !== "stopped" && !request.force) {
      throw VolumeErrors.rootDetach(request.volumeId);
    }
    if (attachment.State === "detaching") return { ...attachment };
    const now = this.cloud.clock.now();
    this.cloud.documents.transaction(() => {
      this.ec2.volumes(scope).update(request.volumeId, (v) => {
        for (const a of v.Attachments ?? []) if (a.InstanceId === attachment.InstanceId) a.State = "detaching";
      });
      this.cloud.scheduler.schedule<VolumeJob>({
        kind: JOB_DETACHED,
        due: now + VOLUME_DETACH_MS,
        key: `${JOB_DETACHED}:${request.volumeId}:${attachment.InstanceId}`,
        payload: { volumeId: request.volumeId, instanceId: attachment.InstanceId },
        ...scope,
      });
    });
    return { ...attachment, State: "detaching" };
  }

  private finishDetach(job: Scope, payload: VolumeJob): void {
    this.detachNow({ account: job.account, region: job.region }, payload.volumeId, payload.instanceId!);
  }

  /** Removes an attachment at once (termination, end of a detach). */
  detachNow(scope: Scope, volumeId: string, instanceId: string): void {
    this.cloud.documents.transaction(() => {
      this.ec2.volumes(scope).update(volumeId, (v) => {
        v.Attachments = (v.Attachments ?? []).filter((a) => a.InstanceId !== instanceId);
        if (v.Attachments.length === 0 && v.State === "in-use") v.State = "available";
      });
      this.cloud.scheduler.cancel(`${JOB_ATTACHED}:${volumeId}:${instanceId}`);
      this.cloud.scheduler.cancel(`${JOB_DETACHED}:${volumeId}:${instanceId}`);
    });
    this.ec2.attachmentsChanged(scope, instanceId);
  }

  /** Volumes attached to an instance (any attachment state). */
  attachedTo(scope: Scope, instanceId: string): EbsVolume[] {
    return this.ec2.volumes(scope).values().filter((v) => v.Attachments?.some((a) => a.InstanceId === instanceId));
  }

  /** The instance was terminated: DeleteOnTermination volumes go, the rest are detached. */
  instanceTerminated(scope: Scope, instanceId: string): void {
    for (const volume of this.attachedTo(scope, instanceId)) {
      const attachment = volume.Attachments!.find((a) => a.InstanceId === instanceId)!;
      this.detachNow(scope, volume.VolumeId!, instanceId);
      if (attachment.DeleteOnTermination && (volume.Attachments?.length ?? 0) <= 1) void this.remove(scope, volume.VolumeId!);
    }
  }

  /** ModifyVolumeAttribute DeleteOnTermination comes through the instance side (ModifyInstanceAttribute). */
  setDeleteOnTermination(scope: Scope, instanceId: string, device: string, value: boolean): boolean {
    const volume = this.attachedTo(scope, instanceId).find((v) => v.Attachments!.some((a) => a.InstanceId === instanceId && a.Device === device));
    if (!volume) return false;
    this.ec2.volumes(scope).update(volume.VolumeId!, (v) => {
      for (const a of v.Attachments ?? []) if (a.InstanceId === instanceId) a.DeleteOnTermination = value;
    });
    return true;
  }

  /** ModifyVolume: type, size, IOPS and throughput change, modifying → optimizing → completed. */
  async modify(scope: Scope, request: { VolumeId: string; VolumeType?: string; Size?: number; Iops?: number; Throughput?: number; MultiAttachEnabled?: boolean }): Promise<VolumeModification> {
    const volume = this.get(scope, request.VolumeId);
    if (volume.State !== "available" && volume.State !== "in-use") throw VolumeErrors.notAvailable(request.VolumeId, volume.State ?? "creating");
    const now = this.cloud.clock.now();
    const last = volume._modification;
    if (last && (last.ModificationState === "modifying" || last.ModificationState === "optimizing")) {
      throw VolumeErrors.volumeModifyState(request.VolumeId, last.ModificationState);
    }
    if (last?.StartTime && now - new Date(last.StartTime).getTime() < MODIFICATION_COOLDOWN_MS) throw VolumeErrors.modificationRateExceeded(request.VolumeId);
    const type = request.VolumeType ?? volume.VolumeType!;
    const size = request.Size ?? volume.Size!;
    if (size < volume.Size!) throw VolumeErrors.shrink(request.VolumeId, volume.Size!, size);
    const typeChanged = type !== volume.VolumeType;
    const spec = resolveVolumeSpec({
      VolumeType: type,
      Size: size,
      // Keep provisioned performance across a modification unless the type changes.
      Iops: request.Iops ?? (!typeChanged && (type === "gp3" || type === "io1" || type === "io2") ? volume.Iops : undefined),
      Throughput: request.Throughput ?? (!typeChanged && type === "gp3" ? volume.Throughput : undefined),
      MultiAttachEnabled: request.MultiAttachEnabled ?? volume.MultiAttachEnabled,
    });
    if (
      spec.type === volume.VolumeType &&
      spec.size === volume.Size &&
      spec.iops === volume.Iops &&
      spec.throughput === volume.Throughput &&
      spec.multiAttach === (volume.MultiAttachEnabled ?? false)
    ) {
      throw VolumeErrors.noModification();
    }
    const modification: VolumeModification = {
      VolumeId: request.VolumeId,
      ModificationState: "modifying",
      TargetSize: spec.size,
      TargetIops: spec.iops,
      TargetVolumeType: spec.type,
      TargetThroughput: spec.throughput,
      TargetMultiAttachEnabled: spec.multiAttach,
      OriginalSize: volume.Size,
      OriginalIops: volume.Iops,
      OriginalVolumeType: volume.VolumeType,
      OriginalThroughput: volume.Throughput,
      OriginalMultiAttachEnabled: volume.MultiAttachEnabled ?? false,
      Progress: 0,
      StartTime: new Date(now),
    };
    if (spec.size > volume.Size!) await this.blocks.resizeVolume(request.VolumeId, spec.size);
    this.cloud.documents.transaction(() => {
      this.ec2.volumes(scope).update(request.VolumeId, (v) => {
        v._modification = modification;
        // The new size and performance apply as soon as the volume enters "optimizing"; the record shows them at once, as EC2 does.
        v.Size = spec.size;
        v.VolumeType = spec.type;
        v.Iops = spec.iops;
        v.Throughput = spec.throughput;
        v.MultiAttachEnabled = spec.multiAttach;
      });
      this.cloud.scheduler.schedule<VolumeJob>({
        kind: JOB_MODIFIED,
        due: now + VOLUME_MODIFY_MS,
        key: `${JOB_MODIFIED}:${request.VolumeId}`,
        payload: { volumeId: request.VolumeId, phase: "optimizing" },
        ...scope,
      });
    });
    // A running instance's block device takes the new size.
    if (spec.size > volume.Size!) for (const a of volume.Attachments ?? []) this.ec2.attachmentsChanged(scope, a.InstanceId!);
    return modification;
  }

  /** A modification's Progress as of now (0–100). */
  modificationProgress(modification: VolumeModification, now: number): number {
    if (modification.ModificationState === "completed") return 100;
    const start = new Date(modification.StartTime!).getTime();
    return Math.min(99, Math.max(0, Math.floor(((now - start) / (2 * VOLUME_MODIFY_MS)) * 100)));
  }

  private advanceModification(job: Scope, payload: VolumeJob): void {
    const scope = { account: job.account, region: job.region };
    const now = this.cloud.clock.now();
    this.cloud.documents.transaction(() => {
      this.ec2.volumes(scope).update(payload.volumeId, (v) => {
        if (!v._modification) return;
        v._modification.ModificationState = payload.phase;
        if (payload.phase === "completed") {
          v._modification.Progress = 100;
          v._modification.EndTime = new Date(now);
        }
      });
      if (payload.phase === "optimizing") {
        this.cloud.scheduler.schedule<VolumeJob>({
          kind: JOB_MODIFIED,
          due: now + VOLUME_MODIFY_MS,
          key: `${JOB_MODIFIED}:${payload.volumeId}`,
          payload: { volumeId: payload.volumeId, phase: "completed" },
          ...scope,
        });
      }
    });
  }

  setAutoEnableIO(scope: Scope, volumeId: string, value: boolean): void {
    this.get(scope, volumeId);
    this.ec2.volumes(scope).update(volumeId, (v) => void (v._autoEnableIO = value));
  }

  // ------------------------------------------------------------ internals

  private devicesInUse(scope: Scope, instanceId: string): Set<string> {
    const devices = new Set<string>();
    for (const volume of this.attachedTo(scope, instanceId)) {
      for (const a of volume.Attachments ?? []) if (a.InstanceId === instanceId && a.Device) devices.add(a.Device);
    }
    return devices;
  }

}
