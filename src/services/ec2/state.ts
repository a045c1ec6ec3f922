/**
 * EC2's state: one document collection per resource kind, scoped by account
 * and region. Records are the API shapes themselves (plus a few internal
 * fields), so Describe* can answer them directly.
 */
import type { Cloud } from "../../cloud.js";
import type { Instance, Snapshot, Tag, Volume } from "../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../state/documents.js";

export type InstanceRecord = Instance & {
  /** Internal: the user data as sent (base64). */
  _userData?: string;
  /** Internal: epoch ms when a terminated instance disappears from Describe. */
  _hideAfter?: number;
};

export type VolumeRecord = Volume;
export type SnapshotRecord = Snapshot;

/** What the instance side of EC2 needs from the volume side. */
export interface InstanceStorage {
  /**
   * Creates and attaches the volumes a launching instance gets from its image
   * and its BlockDeviceMappings; returns the instance's BlockDeviceMappings.
   */
  launchVolumes(
    scope: Scope,
    request: {
      instanceId: string;
      availabilityZone: string;
      rootDeviceName: string;
      /** The image's mappings merged with the request's (request wins per device). */
      mappings: Array<{
        DeviceName: string;
        VolumeSize?: number;
        VolumeType?: string;
        Iops?: number;
        Throughput?: number;
        Encrypted?: boolean;
        KmsKeyId?: string;
        SnapshotId?: string;
        DeleteOnTermination?: boolean;
      }>;
      /** Tags from TagSpecifications with ResourceType=volume. */
      tags: Tag[];
    },
  ): NonNullable<Instance["BlockDeviceMappings"]>;
  /** The instance is terminated: delete its DeleteOnTermination volumes and detach the rest. */
  instanceTerminated(scope: Scope, instanceId: string): void;
}

/** What the volume side needs from the instance side. */
export interface InstanceLookup {
  find(scope: Scope, instanceId: string): InstanceRecord | undefined;
}

export class Ec2State {
  constructor(readonly cloud: Cloud) {}

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
}
