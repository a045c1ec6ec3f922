/**
 * EC2's volume operations. The rules and the states on the clock live in the
 * EBS provider's VolumeService (shared with the instance side and DLM); this
 * module is the API: inputs, TagSpecifications, Describe* with filters and
 * pagination.
 */
import type { Cloud } from "../../../cloud.js";
import type {
  AttachVolumeRequest,
  CreateVolumeRequest,
  DeleteVolumeRequest,
  DescribeVolumeAttributeRequest,
  DescribeVolumeAttributeResult,
  DescribeVolumeStatusRequest,
  DescribeVolumeStatusResult,
  DescribeVolumesModificationsRequest,
  DescribeVolumesModificationsResult,
  DescribeVolumesRequest,
  DescribeVolumesResult,
  DetachVolumeRequest,
  EnableVolumeIORequest,
  ModifyVolumeAttributeRequest,
  ModifyVolumeRequest,
  ModifyVolumeResult,
  Volume,
  VolumeAttachment,
  VolumeModification,
  VolumeStatusItem,
} from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { VolumeErrors } from "../../ebs/errors.js";
import type { EbsProvider } from "../../ebs/provider.js";
import { publicView, type EbsVolume } from "../../ebs/records.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, type FilterSpec } from "../filters.js";
import { ClientTokens } from "../idempotency.js";
import { paginate } from "../pagination.js";
import type { Ec2State } from "../state.js";
import { tagsFor } from "../tags.js";
import { VolumeInstanceStorage } from "./instance-storage.js";

export const VOLUME_FILTERS: FilterSpec<EbsVolume> = {
  fields: {
    "attachment.attach-time": (v) => (v.Attachments ?? []).map((a) => a.AttachTime),
    "attachment.delete-on-termination": (v) => (v.Attachments ?? []).map((a) => a.DeleteOnTermination),
    "attachment.device": (v) => (v.Attachments ?? []).map((a) => a.Device),
    "attachment.instance-id": (v) => (v.Attachments ?? []).map((a) => a.InstanceId),
    "attachment.status": (v) => (v.Attachments ?? []).map((a) => a.State),
    "availability-zone": (v) => v.AvailabilityZone,
    "availability-zone-id": (v) => v.AvailabilityZoneId,
    "create-time": (v) => v.CreateTime,
    encrypted: (v) => v.Encrypted ?? false,
    "fast-restored": (v) => v.FastRestored ?? false,
    "multi-attach-enabled": (v) => v.MultiAttachEnabled ?? false,
    "operator.managed": () => false,
    "operator.principal": () => undefined,
    size: (v) => v.Size,
    "snapshot-id": (v) => v.SnapshotId,
    status: (v) => v.State,
    "volume-id": (v) => v.VolumeId,
    "volume-type": (v) => v.VolumeType,
  },
  tags: (v) => v.Tags,
};

const MODIFICATION_FILTERS: FilterSpec<VolumeModification> = {
  fields: {
    "modification-state": (m) => m.ModificationState,
    "original-iops": (m) => m.OriginalIops,
    "original-size": (m) => m.OriginalSize,
    "original-volume-type": (m) => m.OriginalVolumeType,
    "original-multi-attach-enabled": (m) => m.OriginalMultiAttachEnabled,
    "original-throughput": (m) => m.OriginalThroughput,
    "start-time": (m) => m.StartTime,
    "target-iops": (m) => m.TargetIops,
    "target-size": (m) => m.TargetSize,
    "target-volume-type": (m) => m.TargetVolumeType,
    "target-multi-attach-enabled": (m) => m.TargetMultiAttachEnabled,
    "target-throughput": (m) => m.TargetThroughput,
    "volume-id": (m) => m.VolumeId,
  },
};

const STATUS_FILTERS: FilterSpec<VolumeStatusItem> = {
  fields: {
    "action.code": (s) => (s.Actions ?? []).map((a) => a.Code),
    "action.description": (s) => (s.Actions ?? []).map((a) => a.Description),
    "action.event-id": (s) => (s.Actions ?? []).map((a) => a.EventId),
    "availability-zone": (s) => s.AvailabilityZone,
    "event.description": (s) => (s.Events ?? []).map((e) => e.Description),
    "event.event-id": (s) => (s.Events ?? []).map((e) => e.EventId),
    "event.event-type": (s) => (s.Events ?? []).map((e) => e.EventType),
    "event.not-after": (s) => (s.Events ?? []).map((e) => e.NotAfter),
    "event.not-before": (s) => (s.Events ?? []).map((e) => e.NotBefore),
    "volume-status.details-name": (s) => (s.VolumeStatus?.Details ?? []).map((d) => d.Name),
    "volume-status.details-status": (s) => (s.VolumeStatus?.Details ?? []).map((d) => d.Status),
    "volume-status.status": (s) => s.VolumeStatus?.Status,
  },
};

export class VolumesModule {
  constructor(
    readonly cloud: Cloud,
    state: Ec2State,
  ) {
    // The instance side reaches volumes through the InstanceStorage contract.
    state.provideStorage(new VolumeInstanceStorage(cloud));
    this.clientTokens = new ClientTokens(state);
  }

  private readonly clientTokens: ClientTokens;

  private get ebs(): EbsProvider {
    return this.cloud.provider<EbsProvider>("ebs");
  }

  CreateVolume(input: CreateVolumeRequest, ctx: CallContext): Volume {
    const scope = scopeOf(ctx);
    if (input.AvailabilityZone === undefined && input.AvailabilityZoneId === undefined) throw VolumeErrors.missingZone();
    if (input.AvailabilityZone !== undefined && input.AvailabilityZoneId !== undefined) {
      throw Ec2Errors.invalidParameterCombination("Only one of AvailabilityZone or AvailabilityZoneId can be specified.");
    }
    if (input.ClientToken) {
      this.clientTokens.earlier(scope, "CreateVolume", input.ClientToken, input);
      const earlier = this.ebs.ec2.volumes(scope).values().find((v) => v._clientToken === input.ClientToken);
      if (earlier) return present(earlier);
    }
    const tags = tagsFor(input.TagSpecifications, "volume");
    const zone = this.ebs.volumes.checkZone(scope.region, input.AvailabilityZone ?? input.AvailabilityZoneId);
    const volume = this.ebs.volumes.create(scope, {
      AvailabilityZone: zone.ZoneName,
      Size: input.Size,
      VolumeType: input.VolumeType,
      Iops: input.Iops,
      Throughput: input.Throughput,
      MultiAttachEnabled: input.MultiAttachEnabled,
      SnapshotId: input.SnapshotId,
      Encrypted: input.Encrypted,
      KmsKeyId: input.KmsKeyId,
      tags,
      clientToken: input.ClientToken,
    });
    this.clientTokens.remember(scope, "CreateVolume", input.ClientToken, input, [volume.VolumeId!]);
    return present(volume);
  }

  async DeleteVolume(input: DeleteVolumeRequest, ctx: CallContext): Promise<void> {
    await this.ebs.volumes.delete(scopeOf(ctx), input.VolumeId);
  }

  AttachVolume(input: AttachVolumeRequest, ctx: CallContext): VolumeAttachment {
    const attachment = this.ebs.volumes.attach(scopeOf(ctx), { volumeId: input.VolumeId, instanceId: input.InstanceId, device: input.Device });
    return { AttachTime: attachment.AttachTime, Device: attachment.Device, InstanceId: attachment.InstanceId, State: attachment.State, VolumeId: attachment.VolumeId };
  }

  DetachVolume(input: DetachVolumeRequest, ctx: CallContext): VolumeAttachment {
    const attachment = this.ebs.volumes.detach(scopeOf(ctx), { volumeId: input.VolumeId, instanceId: input.InstanceId, device: input.Device, force: input.Force });
    return { AttachTime: attachment.AttachTime, Device: attachment.Device, InstanceId: attachment.InstanceId, State: attachment.State, VolumeId: attachment.VolumeId };
  }

  async ModifyVolume(input: ModifyVolumeRequest, ctx: CallContext): Promise<ModifyVolumeResult> {
    const modification = await this.ebs.volumes.modify(scopeOf(ctx), input);
    return { VolumeModification: modification };
  }

  DescribeVolumes(input: DescribeVolumesRequest, ctx: CallContext): DescribeVolumesResult {
    const scope = scopeOf(ctx);
    const volumes = this.select(scope, input.VolumeIds);
    const predicate = compileFilters(input.Filters, VOLUME_FILTERS);
    // Above 500, EC2 returns 500 per page rather than refusing.
    const request = { ...input, MaxResults: input.MaxResults === undefined ? undefined : Math.min(input.MaxResults, 500) };
    const page = paginate(volumes.filter(predicate), request, { min: 5, max: 500, idsParameter: "volumeIds" }, (v) => v.VolumeId!, !!input.VolumeIds?.length);
    return { Volumes: page.items.map(present), NextToken: page.nextToken };
  }

  DescribeVolumesModifications(input: DescribeVolumesModificationsRequest, ctx: CallContext): DescribeVolumesModificationsResult {
    const scope = scopeOf(ctx);
    const now = this.cloud.clock.now();
    const volumes = this.select(scope, input.VolumeIds);
    const missing = (input.VolumeIds ?? []).filter((id) => !volumes.find((v) => v.VolumeId === id)?._modification);
    if (missing.length) throw VolumeErrors.modificationNotFound(missing[0]);
    const modifications = volumes
      .filter((v) => v._modification)
      .map((v) => ({ ...v._modification!, Progress: this.ebs.volumes.modificationProgress(v._modification!, now) }));
    const page = paginate(modifications.filter(compileFilters(input.Filters, MODIFICATION_FILTERS)), input, { min: 5, max: 500 }, (m) => m.VolumeId!);
    return { VolumesModifications: page.items, NextToken: page.nextToken };
  }

  DescribeVolumeStatus(input: DescribeVolumeStatusRequest, ctx: CallContext): DescribeVolumeStatusResult {
    const scope = scopeOf(ctx);
    const statuses = this.select(scope, input.VolumeIds).map((v): VolumeStatusItem => {
      const healthy = v.State === "available" || v.State === "in-use";
      const ioEnabled = healthy && v._autoEnableIO !== false;
      return {
        VolumeId: v.VolumeId,
        AvailabilityZone: v.AvailabilityZone,
        AvailabilityZoneId: v.AvailabilityZoneId,
        VolumeStatus: {
          Status: !healthy ? "insufficient-data" : "ok",
          Details: [
            { Name: "io-enabled", Status: healthy ? (ioEnabled ? "passed" : "failed") : "insufficient-data" },
            { Name: "io-performance", Status: v.VolumeType === "io1" || v.VolumeType === "io2" ? (healthy ? "normal" : "insufficient-data") : "not-applicable" },
          ],
        },
        Actions: [],
        Events: [],
        AttachmentStatuses: (v.Attachments ?? []).map((a) => ({ InstanceId: a.InstanceId, IoPerformance: v.VolumeType === "io1" || v.VolumeType === "io2" ? "normal" : "not-applicable" })),
      };
    });
    const request = { ...input, MaxResults: input.MaxResults === undefined ? undefined : Math.min(input.MaxResults, 1000) };
    const page = paginate(statuses.filter(compileFilters(input.Filters, STATUS_FILTERS)), request, { min: 5, max: 1000, idsParameter: "volumeIds" }, (s) => s.VolumeId!, !!input.VolumeIds?.length);
    return { VolumeStatuses: page.items, NextToken: page.nextToken };
  }

  DescribeVolumeAttribute(input: DescribeVolumeAttributeRequest, ctx: CallContext): DescribeVolumeAttributeResult {
    const volume = this.ebs.volumes.get(scopeOf(ctx), input.VolumeId);
    switch (input.Attribute) {
      case "autoEnableIO":
        return { VolumeId: input.VolumeId, AutoEnableIO: { Value: volume._autoEnableIO ?? false } };
      case "productCodes":
        return { VolumeId: input.VolumeId, ProductCodes: [] };
      default:
        throw Ec2Errors.invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. Unknown volume attribute.`);
    }
  }

  ModifyVolumeAttribute(input: ModifyVolumeAttributeRequest, ctx: CallContext): void {
    if (input.AutoEnableIO?.Value === undefined) throw Ec2Errors.missingParameter("AutoEnableIO");
    this.ebs.volumes.setAutoEnableIO(scopeOf(ctx), input.VolumeId, input.AutoEnableIO.Value);
  }

  EnableVolumeIO(input: EnableVolumeIORequest, ctx: CallContext): void {
    this.ebs.volumes.get(scopeOf(ctx), input.VolumeId);
  }

  /** The named volumes (InvalidVolume.NotFound names every missing one), or all of them. */
  private select(scope: Scope, ids: string[] | undefined): EbsVolume[] {
    const collection = this.ebs.ec2.volumes(scope);
    if (!ids?.length) return collection.values();
    const missing: string[] = [];
    const found: EbsVolume[] = [];
    for (const id of new Set(ids)) {
      const volume = collection.get(id);
      if (volume) found.push(volume);
      else if (!/^vol-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id)) throw VolumeErrors.volumeMalformed(id);
      else missing.push(id);
    }
    if (missing.length) throw VolumeErrors.volumeNotFound(missing);
    return found;
  }
}

function scopeOf(ctx: CallContext): Scope {
  return { account: ctx.account, region: ctx.region };
}

/** The record as the API shows it (internal fields stay behind). */
function present(volume: EbsVolume): Volume {
  const shown: Volume = publicView(volume);
  return { ...shown, Attachments: (shown.Attachments ?? []).map((a) => ({ ...a })) };
}
