/**
 * EC2's state: one document collection per resource kind, scoped by account
 * and region. Records are the API shapes themselves (plus a few internal
 * fields), so Describe* can answer them directly.
 *
 * This file is also the contract between the EC2 modules (instances,
 * networking, images, spot — the ec2 side) and the volume side (volumes,
 * snapshots — the ebs side): InstanceStorage, InstanceLookup, ImageLookup
 * and the registry of taggable resource kinds.
 */
import type { Cloud } from "../../cloud.js";
import type { Instance, ResourceType, Snapshot, Tag, Volume } from "../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../state/documents.js";

export type InstanceRecord = Instance & {
  /** Internal: the user data as sent (base64). */
  _userData?: string;
  /** Internal: epoch ms when a terminated instance disappears from Describe. */
  _hideAfter?: number;
  /** Internal: the reservation the instance was launched in. */
  _reservationId: string;
  _requesterId?: string;
  /** Internal: epoch ms of the launch (orders Describe results). */
  _createdAt: number;
  /** Internal: whether the instance gets an auto-assigned public address while running. */
  _autoPublicIp: boolean;
  /** Internal: the auto-assigned public address it holds now. */
  _publicIp?: string;
  /** Internal: the Elastic IP associated with it. */
  _eip?: { publicIp: string; allocationId: string; associationId: string };
  /** Internal: when the current boot began (entering pending) and the run began (running). */
  _bootStartedAt?: number;
  _runningSince?: number;
  /** Internal: the last completed run, for metrics of the period it ended in. */
  _lastRun?: { start: number; end: number };
  _disableApiTermination?: boolean;
  _disableApiStop?: boolean;
  _shutdownBehavior?: "stop" | "terminate";
  /** Internal: bumped at each state change, so a transition scheduled for an earlier one is ignored. */
  _seq?: number;
  /** Internal: the burstable CPU credit option set at launch or since ("standard" | "unlimited"); the family's default when absent. */
  _cpuCredits?: string;
  /** Internal: the IAM instance profile association (its id and when it was made); derived from the instance id when absent. */
  _profileAssociation?: { id: string; at: number };
  /** Internal: the network interface's id, attachment and MAC. */
  _eni: { id: string; attachmentId: string; mac: string; description?: string; deleteOnTermination?: boolean; tags?: Tag[] };
};

export type VolumeRecord = Volume;
export type SnapshotRecord = Snapshot;

/** One block device a launching instance gets (the image's mapping merged with the request's). */
export interface LaunchMapping {
  DeviceName: string;
  VolumeSize?: number;
  VolumeType?: string;
  Iops?: number;
  Throughput?: number;
  Encrypted?: boolean;
  KmsKeyId?: string;
  SnapshotId?: string;
  DeleteOnTermination?: boolean;
}

/** A volume captured into an image by CreateImage. */
export interface ImageVolumeSnapshot {
  DeviceName: string;
  SnapshotId: string;
  VolumeSize: number;
  VolumeType: string;
  DeleteOnTermination: boolean;
  Iops?: number;
  Throughput?: number;
  Encrypted: boolean;
}

/** What the instance side of EC2 needs from the volume side. */
export interface InstanceStorage {
  /**
   * Creates and attaches the volumes a launching instance gets from its image
   * and its BlockDeviceMappings; returns the instance's BlockDeviceMappings.
   * Invalid mappings throw AWS's error (the launch is then refused).
   */
  launchVolumes(
    scope: Scope,
    request: {
      instanceId: string;
      availabilityZone: string;
      rootDeviceName: string;
      /** The image's mappings merged with the request's (request wins per device). */
      mappings: LaunchMapping[];
      /** Tags from TagSpecifications with ResourceType=volume. */
      tags: Tag[];
    },
  ): NonNullable<Instance["BlockDeviceMappings"]>;
  /** The instance is terminated: delete its DeleteOnTermination volumes and detach the rest. */
  instanceTerminated(scope: Scope, instanceId: string): void;
  /**
   * ModifyInstanceAttribute's BlockDeviceMapping: sets DeleteOnTermination of
   * the volume attached to the instance at `device`; false when none is.
   */
  setDeleteOnTermination(scope: Scope, instanceId: string, device: string, value: boolean): boolean;
  /**
   * CreateImage: snapshot every EBS volume attached to the instance (each
   * snapshot described as AWS does, "Created by CreateImage(i-...) for ami-..."),
   * tagged with `tags`. Returns one entry per device.
   */
  snapshotInstanceVolumes(
    scope: Scope,
    request: { instanceId: string; imageId: string; description: string; tags: Tag[]; excludeDevices?: string[] },
  ): ImageVolumeSnapshot[];
}

/** The device names EBS volumes attach at (/dev/sdf, /dev/xvdh, /dev/sda1, xvdf…), at launch as with AttachVolume. */
export const DEVICE_NAME = /^\/dev\/(sd[a-z]|sd[a-z](?:[1-9]|1[0-5])|xvd[a-z]|xvd[b-c][a-z]|hd[a-z])$|^xvd[a-z]$/;

/** What the volume side needs from the instance side. */
export interface InstanceLookup {
  /** The instance, whatever its state (terminated ones until they disappear). */
  find(scope: Scope, instanceId: string): InstanceRecord | undefined;
}

/** What the snapshot side needs from the image side (DeleteSnapshot is refused while an image uses it). */
export interface ImageLookup {
  /** Ids of the images (registered in this scope) whose block device mappings use the snapshot. */
  imagesUsingSnapshot(scope: Scope, snapshotId: string): string[];
}

/** A kind of resource CreateTags/DeleteTags/DescribeTags and TagSpecifications know about. */
export interface TaggableKind {
  /** The id prefix without the dash: "i", "vol", "snap", "sg"... */
  prefix: string;
  /** The id's full shape when it is not prefix + 8 or 17 hex digits (sir-1a2b3c4d). */
  idPattern?: RegExp;
  resourceType: ResourceType;
  /** Records keyed by resource id, each with the API's Tags member. */
  collection(scope: Scope): ScopedCollection<{ Tags?: Tag[] }>;
  /** The Invalid*.NotFound code and the noun AWS uses in its message ("instance", "volume"). */
  notFound: { code: string; noun: string };
  /** Whether a stored record counts as existing (terminated instances past their hour don't). */
  visible?(record: { Tags?: Tag[] }, now: number): boolean;
}

export class Ec2State {
  private storageImpl: InstanceStorage | undefined;
  private lookupImpl: InstanceLookup | undefined;
  private imageLookupImpl: ImageLookup | undefined;
  private readonly taggable = new Map<string, TaggableKind>();
  private readonly attachmentListeners: Array<(scope: Scope, instanceId: string) => void> = [];

  constructor(readonly cloud: Cloud) {
    this.registerTaggable({
      prefix: "vol",
      resourceType: "volume",
      collection: (scope) => this.volumes(scope),
      notFound: { code: "InvalidVolume.NotFound", noun: "volume" },
    });
    this.registerTaggable({
      prefix: "snap",
      resourceType: "snapshot",
      collection: (scope) => this.snapshots(scope),
      notFound: { code: "InvalidSnapshot.NotFound", noun: "snapshot" },
    });
  }

  collection<T>(kind: string, scope: Scope): ScopedCollection<T> {
    return this.cloud.documents.collection<T>("ec2", kind).scope(scope);
  }

  instances(scope: Scope): ScopedCollection<InstanceRecord> {
    return this.collection<InstanceRecord>("instances", scope);
  }

  volumes(scope: Scope): ScopedCollection<VolumeRecord> {
    return this.collection<VolumeRecord>("volumes", scope);
  }

  snapshots(scope: Scope): ScopedCollection<SnapshotRecord> {
    return this.collection<SnapshotRecord>("snapshots", scope);
  }

  /** The volume side registers its InstanceStorage here (the last registration wins). */
  provideStorage(storage: InstanceStorage): void {
    this.storageImpl = storage;
  }

  get storage(): InstanceStorage {
    if (!this.storageImpl) throw new Error("no InstanceStorage registered");
    return this.storageImpl;
  }

  /** Whether an InstanceStorage was registered. */
  hasStorage(): boolean {
    return this.storageImpl !== undefined;
  }

  provideInstanceLookup(lookup: InstanceLookup): void {
    this.lookupImpl = lookup;
  }

  get instanceLookup(): InstanceLookup {
    if (!this.lookupImpl) throw new Error("no InstanceLookup registered");
    return this.lookupImpl;
  }

  provideImageLookup(lookup: ImageLookup): void {
    this.imageLookupImpl = lookup;
  }

  get imageLookup(): ImageLookup {
    if (!this.imageLookupImpl) throw new Error("no ImageLookup registered");
    return this.imageLookupImpl;
  }

  /** The volume side tells the instance side when an instance's volumes changed (attached, detached, grown). */
  attachmentsChanged(scope: Scope, instanceId: string): void {
    for (const listener of this.attachmentListeners) listener(scope, instanceId);
  }

  onAttachmentsChanged(listener: (scope: Scope, instanceId: string) => void): void {
    this.attachmentListeners.push(listener);
  }

  registerTaggable(kind: TaggableKind): void {
    this.taggable.set(kind.prefix, kind);
  }

  taggableKind(prefix: string): TaggableKind | undefined {
    return this.taggable.get(prefix);
  }

  taggableKinds(): TaggableKind[] {
    return [...this.taggable.values()];
  }
}
