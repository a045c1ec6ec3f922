/**
 * EC2's snapshot operations: the API over the EBS provider's SnapshotService
 * (create, multi-volume create, copy across regions, delete, Describe with
 * owners, restorable-by, filters and pagination, createVolumePermission).
 */
import type { Cloud } from "../../../cloud.js";
import type {
  CopySnapshotRequest,
  CopySnapshotResult,
  CreateSnapshotRequest,
  CreateSnapshotsRequest,
  CreateSnapshotsResult,
  DeleteSnapshotRequest,
  DescribeSnapshotAttributeRequest,
  DescribeSnapshotAttributeResult,
  DescribeSnapshotsRequest,
  DescribeSnapshotsResult,
  DescribeSnapshotTierStatusRequest,
  DescribeSnapshotTierStatusResult,
  ModifySnapshotAttributeRequest,
  ModifySnapshotTierRequest,
  ModifySnapshotTierResult,
  ResetSnapshotAttributeRequest,
  RestoreSnapshotTierRequest,
  RestoreSnapshotTierResult,
  Snapshot,
  SnapshotTierStatus,
} from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { VolumeErrors } from "../../ebs/errors.js";
import type { EbsProvider } from "../../ebs/provider.js";
import { publicView, type CreateVolumePermissionRecord, type EbsSnapshot } from "../../ebs/records.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, type FilterSpec } from "../filters.js";
import { paginate } from "../pagination.js";
import type { Ec2State } from "../state.js";
import { tagsFor } from "../tags.js";

type Shown = EbsSnapshot & { Progress: string };

const SNAPSHOT_FILTERS: FilterSpec<Shown> = {
  fields: {
    description: (s) => s.Description,
    encrypted: (s) => s.Encrypted ?? false,
    "owner-alias": (s) => s.OwnerAlias,
    "owner-id": (s) => s.OwnerId,
    progress: (s) => s.Progress,
    "snapshot-id": (s) => s.SnapshotId,
    "start-time": (s) => s.StartTime,
    status: (s) => s.State,
    "storage-tier": (s) => s.StorageTier,
    "transfer-type": (s) => s.TransferType,
    "volume-id": (s) => s.VolumeId,
    "volume-size": (s) => s.VolumeSize,
  },
  tags: (s) => s.Tags,
};

const TIER_FILTERS: FilterSpec<SnapshotTierStatus> = {
  fields: {
    "snapshot-id": (s) => s.SnapshotId,
    "volume-id": (s) => s.VolumeId,
    "last-tiering-operation": (s) => s.LastTieringOperationStatus,
  },
  tags: (s) => s.Tags,
};

export class SnapshotsModule {
  constructor(
    readonly cloud: Cloud,
    _state: Ec2State,
  ) {}

  private get ebs(): EbsProvider {
    return this.cloud.provider<EbsProvider>("ebs");
  }

  CreateSnapshot(input: CreateSnapshotRequest, ctx: CallContext): Snapshot {
    const scope = scopeOf(ctx);
    if (input.Description !== undefined && input.Description.length > 255) {
      throw Ec2Errors.invalidParameterValue("Value for parameter description is invalid. Description length must be at most 255 characters.");
    }
    const tags = tagsFor(input.TagSpecifications, "snapshot");
    const snapshot = this.ebs.snapshots.fromVolume(scope, { volumeId: input.VolumeId, description: input.Description, tags });
    return this.show(snapshot);
  }

  CreateSnapshots(input: CreateSnapshotsRequest, ctx: CallContext): CreateSnapshotsResult {
    const scope = scopeOf(ctx);
    if (!input.InstanceSpecification?.InstanceId) throw Ec2Errors.missingParameter("InstanceSpecification.InstanceId");
    const tags = tagsFor(input.TagSpecifications, "snapshot");
    const created = this.ebs.snapshots.forInstance(scope, {
      instanceId: input.InstanceSpecification.InstanceId,
      excludeBootVolume: input.InstanceSpecification.ExcludeBootVolume,
      excludeVolumeIds: input.InstanceSpecification.ExcludeDataVolumeIds,
      description: input.Description,
      tags,
      copyVolumeTags: input.CopyTagsFromSource === "volume",
    });
    return {
      Snapshots: created.map(({ snapshot }) => {
        const shown = this.show(snapshot);
        return {
          SnapshotId: shown.SnapshotId,
          VolumeId: shown.VolumeId,
          VolumeSize: shown.VolumeSize,
          State: shown.State,
          Progress: shown.Progress,
          StartTime: shown.StartTime,
          OwnerId: shown.OwnerId,
          Description: shown.Description,
          Encrypted: shown.Encrypted,
          Tags: shown.Tags,
        };
      }),
    };
  }

  CopySnapshot(input: CopySnapshotRequest, ctx: CallContext): CopySnapshotResult {
    const scope = scopeOf(ctx);
    if (input.DestinationRegion && input.DestinationRegion !== ctx.region) {
      throw Ec2Errors.invalidParameterValue(`The destination region ${input.DestinationRegion} must be the region the request is sent to (${ctx.region}).`);
    }
    const tags = tagsFor(input.TagSpecifications, "snapshot");
    const copy = this.ebs.snapshots.copy(scope, {
      sourceRegion: input.SourceRegion,
      sourceSnapshotId: input.SourceSnapshotId,
      description: input.Description,
      encrypted: input.Encrypted,
      kmsKeyId: input.KmsKeyId,
      tags,
    });
    return { SnapshotId: copy.SnapshotId, Tags: copy.Tags };
  }

  async DeleteSnapshot(input: DeleteSnapshotRequest, ctx: CallContext): Promise<void> {
    await this.ebs.snapshots.delete(scopeOf(ctx), input.SnapshotId);
  }

  DescribeSnapshots(input: DescribeSnapshotsRequest, ctx: CallContext): DescribeSnapshotsResult {
    const scope = scopeOf(ctx);
    const idsGiven = !!input.SnapshotIds?.length;
    let candidates: EbsSnapshot[];
    if (idsGiven) {
      const missing: string[] = [];
      candidates = [];
      for (const id of new Set(input.SnapshotIds)) {
        const found = this.ebs.snapshots.findRestorable(scope, id);
        if (found) candidates.push(found);
        else if (!/^snap-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id)) throw VolumeErrors.snapshotMalformed(id);
        else missing.push(id);
      }
      if (missing.length) throw VolumeErrors.snapshotNotFound(missing);
    } else {
      candidates = this.visible(scope);
    }
    const owners = (input.OwnerIds ?? []).map((o) => (o === "self" ? ctx.account : o));
    if (owners.length) candidates = candidates.filter((s) => owners.includes(s.OwnerId!) || (s.OwnerAlias !== undefined && owners.includes(s.OwnerAlias)));
    const restorers = (input.RestorableByUserIds ?? []).map((u) => (u === "self" ? ctx.account : u));
    if (restorers.length) candidates = candidates.filter((s) => restorers.some((user) => this.ebs.snapshots.restorableBy(s, user)));
    const now = this.cloud.clock.now();
    const shown = candidates.map((s) => ({ ...s, Progress: this.ebs.snapshots.progress(s, now) }));
    // Above 1000, EC2 returns 1000 per page rather than refusing.
    const request = { ...input, MaxResults: input.MaxResults === undefined ? undefined : Math.min(input.MaxResults, 1000) };
    const page = paginate(shown.filter(compileFilters(input.Filters, SNAPSHOT_FILTERS)), request, { min: 5, max: 1000, idsParameter: "snapshotIds" }, (s) => s.SnapshotId!, idsGiven);
    return { Snapshots: page.items.map((s) => this.show(s)), NextToken: page.nextToken };
  }

  DescribeSnapshotAttribute(input: DescribeSnapshotAttributeRequest, ctx: CallContext): DescribeSnapshotAttributeResult {
    const snapshot = this.ebs.snapshots.get(scopeOf(ctx), input.SnapshotId);
    switch (input.Attribute) {
      case "createVolumePermission":
        return { SnapshotId: input.SnapshotId, CreateVolumePermissions: (snapshot._createVolumePermissions ?? []).map((p) => ({ ...p })) };
      case "productCodes":
        return { SnapshotId: input.SnapshotId, ProductCodes: [] };
      default:
        throw Ec2Errors.invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. Unknown attribute.`);
    }
  }

  ModifySnapshotAttribute(input: ModifySnapshotAttributeRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const snapshot = this.ebs.snapshots.get(scope, input.SnapshotId);
    if (input.Attribute !== undefined && input.Attribute !== "createVolumePermission") {
      throw Ec2Errors.invalidParameterValue(`Value (${input.Attribute}) for parameter attribute is invalid. Only createVolumePermission can be modified.`);
    }
    const add: CreateVolumePermissionRecord[] = [];
    const remove: CreateVolumePermissionRecord[] = [];
    for (const p of input.CreateVolumePermission?.Add ?? []) add.push(permission(p));
    for (const p of input.CreateVolumePermission?.Remove ?? []) remove.push(permission(p));
    const listed = [...(input.UserIds ?? []).map((UserId) => ({ UserId })), ...(input.GroupNames ?? []).map((g) => permission({ Group: g }))];
    if (listed.length) {
      if (input.OperationType === "add") add.push(...listed);
      else if (input.OperationType === "remove") remove.push(...listed);
      else throw Ec2Errors.missingParameter("OperationType");
    }
    if (add.length === 0 && remove.length === 0) throw Ec2Errors.missingParameter("CreateVolumePermission");
    if (add.length && snapshot.StorageTier === "archive") throw VolumeErrors.snapshotState(input.SnapshotId, "archived");
    if (snapshot.Encrypted && add.some((p) => p.Group === "all")) {
      throw Ec2Errors.invalidParameter("Encrypted snapshots cannot be made public.");
    }
    for (const p of add) {
      if (p.UserId !== undefined && !/^\d{12}$/.test(p.UserId)) throw Ec2Errors.invalidParameterValue(`Invalid user id: ${p.UserId}`);
    }
    const same = (a: CreateVolumePermissionRecord, b: CreateVolumePermissionRecord) => a.UserId === b.UserId && a.Group === b.Group;
    this.ebs.ec2.snapshots(scope).update(input.SnapshotId, (s) => {
      let permissions = (s._createVolumePermissions ?? []).filter((p) => !remove.some((r) => same(p, r)));
      for (const p of add) if (!permissions.some((q) => same(p, q))) permissions = [...permissions, p];
      s._createVolumePermissions = permissions;
    });
  }

  ResetSnapshotAttribute(input: ResetSnapshotAttributeRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    this.ebs.snapshots.get(scope, input.SnapshotId);
    if (input.Attribute !== "createVolumePermission") {
      throw Ec2Errors.invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. Only createVolumePermission can be reset.`);
    }
    this.ebs.ec2.snapshots(scope).update(input.SnapshotId, (s) => void (s._createVolumePermissions = []));
  }

  /** Own snapshots, plus those other accounts shared with this one (or made public) in this region. */
  // ---- the archive tier (ebs/snapshot-tiers.ts)

  ModifySnapshotTier(input: ModifySnapshotTierRequest, ctx: CallContext): ModifySnapshotTierResult {
    const scope = scopeOf(ctx);
    if (input.StorageTier !== undefined && input.StorageTier !== "archive") throw Ec2Errors.invalidParameterValue(`Value (${input.StorageTier}) for parameter StorageTier is invalid. Valid value: archive.`);
    const snapshot = this.ebs.snapshots.get(scope, input.SnapshotId);
    return this.ebs.tiers.archive(scope, snapshot, this.ebs.ec2.imagesUsingSnapshot(scope, input.SnapshotId));
  }

  RestoreSnapshotTier(input: RestoreSnapshotTierRequest, ctx: CallContext): RestoreSnapshotTierResult {
    const scope = scopeOf(ctx);
    const snapshot = this.ebs.snapshots.get(scope, input.SnapshotId);
    return this.ebs.tiers.restore(scope, snapshot, { temporaryRestoreDays: input.TemporaryRestoreDays, permanent: input.PermanentRestore });
  }

  DescribeSnapshotTierStatus(input: DescribeSnapshotTierStatusRequest, ctx: CallContext): DescribeSnapshotTierStatusResult {
    const scope = scopeOf(ctx);
    const all = this.ebs.ec2.snapshots(scope).values().map((s) => this.ebs.tiers.status(s));
    const filtered = all.filter(compileFilters(input.Filters, TIER_FILTERS));
    const page = paginate(filtered, input, { min: 5, max: 1000 }, (s) => s.SnapshotId!);
    return { SnapshotTierStatuses: page.items, NextToken: page.nextToken };
  }

  private visible(scope: Scope): EbsSnapshot[] {
    const out = [...this.ebs.ec2.snapshots(scope).values()];
    for (const other of this.ebs.ec2.snapshotScopes()) {
      if (other.region !== scope.region || other.account === scope.account) continue;
      for (const snapshot of this.ebs.ec2.snapshots(other).values()) if (this.ebs.snapshots.restorableBy(snapshot, scope.account)) out.push(snapshot);
    }
    return out;
  }

  private show(snapshot: EbsSnapshot): Snapshot {
    return { ...publicView(snapshot), Progress: this.ebs.snapshots.progress(snapshot, this.cloud.clock.now()) };
  }
}

function scopeOf(ctx: CallContext): Scope {
  return { account: ctx.account, region: ctx.region };
}

function permission(p: { UserId?: string; Group?: string }): CreateVolumePermissionRecord {
  if (p.Group !== undefined) {
    if (p.Group !== "all") throw Ec2Errors.invalidParameterValue(`Value (${p.Group}) for parameter group is invalid. Only 'all' is supported.`);
    return { Group: "all" };
  }
  if (p.UserId === undefined) throw Ec2Errors.missingParameter("UserId");
  return { UserId: p.UserId };
}
