/**
 * What the volume side uses of EC2's instance side, in one place: the shared
 * record collections, instance lookup, zones and images (the contracts of
 * src/services/ec2/state.ts).
 */
import type { Cloud } from "../../cloud.js";
import type { ScopedCollection, Scope } from "../../state/documents.js";
import type { Ec2Provider } from "../ec2/provider.js";
import { REGIONS, isKnownRegion, regionInfo } from "../ec2/regions/regions.js";
import type { InstanceRecord } from "../ec2/state.js";
import type { EbsSnapshot, EbsVolume } from "./records.js";

export interface Zone {
  ZoneName: string;
  ZoneId: string;
}

export class Ec2Link {
  constructor(private readonly cloud: Cloud) {}

  private get ec2() {
    return this.cloud.provider<Ec2Provider>("ec2").state;
  }

  volumes(scope: Scope): ScopedCollection<EbsVolume> {
    return this.ec2.volumes(scope) as ScopedCollection<EbsVolume>;
  }

  snapshots(scope: Scope): ScopedCollection<EbsSnapshot> {
    return this.ec2.snapshots(scope) as ScopedCollection<EbsSnapshot>;
  }

  /** Every scope that holds snapshots (for snapshots shared across accounts). */
  snapshotScopes(): Scope[] {
    return this.cloud.documents.collection("ec2", "snapshots").scopes();
  }

  instance(scope: Scope, instanceId: string): InstanceRecord | undefined {
    return this.ec2.instanceLookup.find(scope, instanceId);
  }

  instances(scope: Scope): InstanceRecord[] {
    return this.ec2.instances(scope).values();
  }

  zones(region: string): Zone[] {
    if (!isKnownRegion(region)) return [];
    return regionInfo(region).zones.map((z) => ({ ZoneName: z.name, ZoneId: z.id }));
  }

  regions(): string[] {
    return REGIONS.map((r) => r.name);
  }

  /** An instance's volumes changed (a running instance's block devices follow). */
  attachmentsChanged(scope: Scope, instanceId: string): void {
    this.ec2.attachmentsChanged(scope, instanceId);
  }

  imagesUsingSnapshot(scope: Scope, snapshotId: string): string[] {
    return this.ec2.imageLookup.imagesUsingSnapshot(scope, snapshotId);
  }
}
