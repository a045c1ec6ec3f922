/**
 * What the volume side uses of EC2's instance side, in one place: the shared
 * record collections, instance lookup, zones and images (the contracts of
 * src/services/ec2/state.ts).
 */
import type { Cloud } from "../../cloud.js";
import type { ScopedCollection, Scope } from "../../state/documents.js";
import type { Ec2Provider } from "../ec2/provider.js";
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
    return this.ec2.instances(scope).get(instanceId);
  }

  instances(scope: Scope): InstanceRecord[] {
    return this.ec2.instances(scope).values();
  }

  /** The volume side keeps an instance's BlockDeviceMappings current as volumes attach and detach. */
  updateInstance(scope: Scope, instanceId: string, fn: (instance: InstanceRecord) => void): void {
    this.ec2.instances(scope).update(instanceId, fn);
  }

  zones(region: string): Zone[] {
    return ["a", "b", "c", "d", "e", "f"].map((letter, i) => ({ ZoneName: `${region}${letter}`, ZoneId: `${zoneIdPrefix(region)}-az${i + 1}` }));
  }

  regions(): string[] {
    return [
      "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
      "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
      "ap-south-1", "sa-east-1",
    ];
  }

  imagesUsingSnapshot(_scope: Scope, _snapshotId: string): string[] {
    return [];
  }
}

function zoneIdPrefix(region: string): string {
  const [geo, direction, n] = region.split("-");
  return `${geo}${direction[0]}${n}`.replace("east", "e");
}
