/**
 * Snapshots: created from a volume (its bytes captured at once, incrementally),
 * from every volume of an instance, copied (across regions the blocks' bytes
 * are copied), or written block by block with the EBS direct API. A snapshot
 * is "pending" for a time that grows with the bytes it stores, with Progress
 * moving on the clock, then "completed".
 */
import { usableTier } from "./snapshot-tiers.js";
import type { Cloud } from "../../cloud.js";
import { ec2Id } from "../../core/ids.js";
import type { Tag } from "../../generated/ec2.js";
import type { Scope } from "../../state/documents.js";
import type { ImageVolumeSnapshotLike } from "./instance-storage-types.js";
import { BLOCK_SIZE, type BlockStore } from "./blocks/block-store.js";
import type { Ec2Link } from "./ec2-link.js";
import { VolumeErrors } from "./errors.js";
import { defaultKmsKeyArn, kmsKeyArn } from "./kms-keys.js";
import { NO_VOLUME, type EbsSnapshot, type EbsVolume } from "./records.js";
import { SNAPSHOT_BASE_MS, snapshotDuration } from "./timings.js";
import type { VolumeService } from "./volume-service.js";

const JOB_COMPLETE = "ebs:snapshot-complete";
const JOB_DIRECT_TIMEOUT = "ebs:direct-snapshot-timeout";

type SnapshotJob = { snapshotId: string };

export class SnapshotService {
  /** Byte work (captures, copies) still running, by snapshot id. */
  private readonly work = new Map<string, Promise<void>>();
  /** Told of every snapshot created and of every snapshot going (billing). */
  onCreate: () => void = () => undefined;
  onDelete: (scope: Scope, snapshot: EbsSnapshot) => void = () => undefined;
  /** A deleted snapshot's other jobs (archive tiering) go. */
  onForget: (snapshotId: string) => void = () => undefined;

  constructor(
    private readonly cloud: Cloud,
    private readonly blocks: BlockStore,
    private readonly ec2: Ec2Link,
    private readonly volumes: VolumeService,
  ) {}

  onStart(): void {
    this.cloud.scheduler.on<SnapshotJob>(JOB_COMPLETE, (job) => this.finish(job, job.payload.snapshotId));
    this.cloud.scheduler.on<SnapshotJob>(JOB_DIRECT_TIMEOUT, (job) => this.timeOut(job, job.payload.snapshotId));
    this.recover();
  }

  get(scope: Scope, snapshotId: string): EbsSnapshot {
    const snapshot = this.ec2.snapshots(scope).get(snapshotId);
    if (!snapshot) {
      if (!/^snap-[0-9a-f]{8}([0-9a-f]{9})?$/.test(snapshotId)) throw VolumeErrors.snapshotMalformed(snapshotId);
      throw VolumeErrors.snapshotNotFound([snapshotId]);
    }
    return snapshot;
  }

  /** Progress as EC2 shows it ("37%"), moving on the clock while pending. */
  progress(snapshot: EbsSnapshot, now: number): string {
    if (snapshot.State === "completed") return "100%";
    if (snapshot.State !== "pending" || snapshot._source === "direct") return snapshot.Progress ?? "0%";
    const start = new Date(snapshot.StartTime!).getTime();
    const end = snapshot._completeAt ?? start + SNAPSHOT_BASE_MS;
    const done = end > start ? Math.floor(((now - start) / (end - start)) * 100) : 0;
    return `${Math.min(99, Math.max(0, done))}%`;
  }

  /** CreateSnapshot: captures the volume's bytes now (only blocks changed since its last snapshot are stored). */
  fromVolume(scope: Scope, request: { volumeId: string; description?: string; tags?: Tag[] }): EbsSnapshot {
    const volume = this.volumes.get(scope, request.volumeId);
    if (volume.State !== "available" && volume.State !== "in-use") throw VolumeErrors.notAvailable(request.volumeId, volume.State ?? "creating");
    const now = this.cloud.clock.now();
    const snapshotId = ec2Id("snap");
    const record: EbsSnapshot = {
      SnapshotId: snapshotId,
      VolumeId: request.volumeId,
      VolumeSize: volume.Size,
      Description: request.description ?? "",
      State: "pending",
      Progress: "0%",
      StartTime: new Date(now),
      OwnerId: scope.account,
      Encrypted: volume.Encrypted ?? false,
      KmsKeyId: volume.KmsKeyId,
      StorageTier: "standard",
      Tags: request.tags?.length ? request.tags : undefined,
      _source: "volume",
      _completeAt: now + SNAPSHOT_BASE_MS,
    };
    this.begin(scope, record);
    this.track(
      scope,
      snapshotId,
      // Queued behind the volume's pending byte work and ahead of any later write: point in time.
      this.blocks
        .snapshotVolume(request.volumeId, snapshotId, now)
        .then((capture) => this.setDuration(scope, snapshotId, now + snapshotDuration(capture.storedBytes))),
    );
    return record;
  }

  /** CreateSnapshots: one crash-consistent snapshot per EBS volume of an instance. */
  forInstance(
    scope: Scope,
    request: { instanceId: string; excludeBootVolume?: boolean; excludeVolumeIds?: string[]; description?: string; tags?: Tag[]; copyVolumeTags?: boolean },
  ): Array<{ snapshot: EbsSnapshot; volume: EbsVolume }> {
    const instance = this.ec2.instance(scope, request.instanceId);
    if (!instance || instance.State?.Name === "terminated") throw VolumeErrors.instanceNotFound(request.instanceId);
    for (const id of request.excludeVolumeIds ?? []) {
      const volume = this.volumes.get(scope, id);
      if (!volume.Attachments?.some((a) => a.InstanceId === request.instanceId)) {
        throw VolumeErrors.invalidParameterValue(`The volume ${id} is not attached to instance ${request.instanceId}.`);
      }
    }
    const out: Array<{ snapshot: EbsSnapshot; volume: EbsVolume }> = [];
    const targets = this.volumes
      .attachedTo(scope, request.instanceId)
      .map((volume) => ({ volume, device: volume.Attachments!.find((a) => a.InstanceId === request.instanceId)!.Device! }))
      .sort((a, b) => (a.device < b.device ? -1 : 1));
    for (const { volume, device } of targets) {
      const boot = device === instance.RootDeviceName;
      if (boot && request.excludeBootVolume) continue;
      if (request.excludeVolumeIds?.includes(volume.VolumeId!)) continue;
      const tags = mergeTags(request.copyVolumeTags ? (volume.Tags ?? []).filter((t) => !t.Key?.startsWith("aws:")) : [], request.tags ?? []);
      out.push({ volume, snapshot: this.fromVolume(scope, { volumeId: volume.VolumeId!, description: request.description, tags }) });
    }
    return out;
  }

  /** CreateImage: a snapshot of every EBS volume of the instance, as the image's mappings. */
  forImage(
    scope: Scope,
    request: { instanceId: string; imageId: string; description?: string; tags: Tag[]; excludeDevices?: string[] },
  ): ImageVolumeSnapshotLike[] {
    const out: ImageVolumeSnapshotLike[] = [];
    const description = request.description || `Created by CreateImage(${request.instanceId}) for ${request.imageId}`;
    const targets = this.volumes
      .attachedTo(scope, request.instanceId)
      .map((volume) => ({ volume, attachment: volume.Attachments!.find((a) => a.InstanceId === request.instanceId)! }))
      .filter(({ attachment }) => !request.excludeDevices?.includes(attachment.Device!))
      .sort((a, b) => (a.attachment.Device! < b.attachment.Device! ? -1 : 1));
    for (const { volume, attachment } of targets) {
      const snapshot = this.fromVolume(scope, { volumeId: volume.VolumeId!, description, tags: request.tags });
      out.push({
        DeviceName: attachment.Device!,
        SnapshotId: snapshot.SnapshotId!,
        VolumeSize: volume.Size!,
        VolumeType: volume.VolumeType!,
        DeleteOnTermination: attachment.DeleteOnTermination ?? false,
        Iops: volume.VolumeType === "gp3" || volume.VolumeType === "io1" || volume.VolumeType === "io2" ? volume.Iops : undefined,
        Throughput: volume.VolumeType === "gp3" ? volume.Throughput : undefined,
        Encrypted: volume.Encrypted ?? false,
      });
    }
    return out;
  }

  /** CopySnapshot, called in the destination region. */
  copy(
    scope: Scope,
    request: { sourceRegion: string; sourceSnapshotId: string; description?: string; encrypted?: boolean; kmsKeyId?: string; tags?: Tag[] },
  ): EbsSnapshot {
    if (!this.ec2.regions().includes(request.sourceRegion)) throw VolumeErrors.invalidRegion(request.sourceRegion);
    const sourceScope = { account: scope.account, region: request.sourceRegion };
    const source = this.findRestorable(sourceScope, request.sourceSnapshotId);
    if (!source) throw VolumeErrors.snapshotNotFound([request.sourceSnapshotId]);
    if (source.State !== "completed") throw VolumeErrors.snapshotState(request.sourceSnapshotId, source.State ?? "pending");
    if (!usableTier(source)) throw VolumeErrors.snapshotState(request.sourceSnapshotId, "archived");
    const encrypted = source.Encrypted === true || request.encrypted === true;
    if (request.kmsKeyId !== undefined && !encrypted) throw VolumeErrors.kmsWithoutEncryption();
    let kmsKeyId: string | undefined;
    if (encrypted) {
      kmsKeyId = request.kmsKeyId
        ? kmsKeyArn(scope, request.kmsKeyId)
        : source.Encrypted && request.sourceRegion === scope.region
          ? source.KmsKeyId
          : defaultKmsKeyArn(scope);
    }
    const now = this.cloud.clock.now();
    const snapshotId = ec2Id("snap");
    const record: EbsSnapshot = {
      SnapshotId: snapshotId,
      VolumeId: NO_VOLUME,
      VolumeSize: source.VolumeSize,
      Description: request.description ?? `[Copied ${request.sourceSnapshotId} from ${request.sourceRegion}]`,
      State: "pending",
      Progress: "0%",
      StartTime: new Date(now),
      OwnerId: scope.account,
      Encrypted: encrypted,
      KmsKeyId: kmsKeyId,
      StorageTier: "standard",
      Tags: request.tags?.length ? request.tags : undefined,
      _source: "copy",
      _completeAt: now + SNAPSHOT_BASE_MS,
    };
    this.begin(scope, record);
    const copying = this.blocks.copySnapshot(request.sourceSnapshotId, snapshotId, scope.region, now).then(() => {
      this.setDuration(scope, snapshotId, now + snapshotDuration(this.blocks.blockCount(snapshotId) * BLOCK_SIZE));
    });
    this.track(scope, snapshotId, copying);
    return record;
  }

  /** A snapshot this account may restore or copy: its own, or one shared with it (or public). */
  findRestorable(scope: Scope, snapshotId: string): EbsSnapshot | undefined {
    const own = this.ec2.snapshots(scope).get(snapshotId);
    if (own) return own;
    for (const other of this.ec2.snapshotScopes()) {
      if (other.region !== scope.region || other.account === scope.account) continue;
      const snapshot = this.ec2.snapshots(other).get(snapshotId);
      if (snapshot && this.restorableBy(snapshot, scope.account)) return snapshot;
    }
    return undefined;
  }

  restorableBy(snapshot: EbsSnapshot, account: string): boolean {
    if (snapshot.OwnerId === account) return true;
    return (snapshot._createVolumePermissions ?? []).some((p) => p.Group === "all" || p.UserId === account);
  }

  /** DeleteSnapshot: refused while an image uses the snapshot; frees the blocks no other snapshot uses. */
  async delete(scope: Scope, snapshotId: string): Promise<void> {
    const snapshot = this.get(scope, snapshotId);
    const images = this.ec2.imagesUsingSnapshot(scope, snapshotId);
    if (images.length > 0) throw VolumeErrors.snapshotInUse(snapshotId, images[0]);
    this.onDelete(scope, snapshot);
    this.cloud.documents.transaction(() => {
      this.ec2.snapshots(scope).delete(snapshotId);
      this.cloud.scheduler.cancel(`${JOB_COMPLETE}:${snapshotId}`);
      this.cloud.scheduler.cancel(`${JOB_DIRECT_TIMEOUT}:${snapshotId}`);
      this.onForget(snapshotId);
    });
    await this.work.get(snapshotId)?.catch(() => undefined);
    await this.blocks.deleteSnapshot(snapshotId);
  }

  // ------------------------------------------------------- EBS direct API

  /** StartSnapshot: a pending snapshot that PutSnapshotBlock writes. */
  startDirect(
    scope: Scope,
    request: { volumeSize: number; parentSnapshotId?: string; description?: string; tags?: Tag[]; encrypted: boolean; kmsKeyArn?: string; timeoutMinutes: number; clientToken?: string },
  ): EbsSnapshot {
    const now = this.cloud.clock.now();
    const snapshotId = ec2Id("snap");
    const record: EbsSnapshot = {
      SnapshotId: snapshotId,
      VolumeId: NO_VOLUME,
      VolumeSize: request.volumeSize,
      Description: request.description ?? "",
      State: "pending",
      Progress: "0%",
      StartTime: new Date(now),
      OwnerId: scope.account,
      Encrypted: request.encrypted,
      KmsKeyId: request.kmsKeyArn,
      StorageTier: "standard",
      Tags: request.tags?.length ? request.tags : undefined,
      _source: "direct",
      _clientToken: request.clientToken,
      _timeoutAt: now + request.timeoutMinutes * 60_000,
    };
    this.cloud.documents.transaction(() => {
      this.ec2.snapshots(scope).put(snapshotId, record);
      this.onCreate();
      this.blocks.startSnapshot({ snapshotId, region: scope.region, volumeSizeGiB: request.volumeSize, parentId: request.parentSnapshotId, created: now });
      this.cloud.scheduler.schedule<SnapshotJob>({
        kind: JOB_DIRECT_TIMEOUT,
        due: record._timeoutAt!,
        key: `${JOB_DIRECT_TIMEOUT}:${snapshotId}`,
        payload: { snapshotId },
        ...scope,
      });
    });
    return record;
  }

  /** CompleteSnapshot: sealing runs asynchronously; the snapshot completes shortly after. */
  completeDirect(scope: Scope, snapshotId: string): void {
    const now = this.cloud.clock.now();
    this.cloud.documents.transaction(() => {
      this.ec2.snapshots(scope).update(snapshotId, (s) => {
        s._completeAt = now + SNAPSHOT_BASE_MS;
        s.Progress = "99%";
      });
      this.cloud.scheduler.cancel(`${JOB_DIRECT_TIMEOUT}:${snapshotId}`);
      this.cloud.scheduler.schedule<SnapshotJob>({ kind: JOB_COMPLETE, due: now + SNAPSHOT_BASE_MS, key: `${JOB_COMPLETE}:${snapshotId}`, payload: { snapshotId }, ...scope });
    });
  }

  // ------------------------------------------------------------ internals

  private begin(scope: Scope, record: EbsSnapshot): void {
    this.cloud.documents.transaction(() => {
      this.ec2.snapshots(scope).put(record.SnapshotId!, record);
      this.onCreate();
      this.cloud.scheduler.schedule<SnapshotJob>({
        kind: JOB_COMPLETE,
        due: record._completeAt!,
        key: `${JOB_COMPLETE}:${record.SnapshotId}`,
        payload: { snapshotId: record.SnapshotId! },
        ...scope,
      });
    });
  }

  private setDuration(scope: Scope, snapshotId: string, completeAt: number): void {
    const record = this.ec2.snapshots(scope).get(snapshotId);
    if (!record || record.State !== "pending") return;
    this.cloud.documents.transaction(() => {
      this.ec2.snapshots(scope).update(snapshotId, (s) => void (s._completeAt = completeAt));
      this.cloud.scheduler.schedule<SnapshotJob>({ kind: JOB_COMPLETE, due: completeAt, key: `${JOB_COMPLETE}:${snapshotId}`, payload: { snapshotId }, ...scope });
    });
  }

  private track(scope: Scope, snapshotId: string, promise: Promise<void>): void {
    const tracked = promise
      .catch((error) => {
        this.cloud.log.error(`ebs: snapshot ${snapshotId} failed`, error);
        this.fail(scope, snapshotId, "The snapshot's data could not be stored.");
      })
      .finally(() => {
        if (this.work.get(snapshotId) === tracked) this.work.delete(snapshotId);
      });
    this.work.set(snapshotId, tracked);
  }

  private fail(scope: Scope, snapshotId: string, message: string): void {
    this.ec2.snapshots(scope).update(snapshotId, (s) => {
      if (s.State !== "pending") return;
      s.State = "error";
      s.StateMessage = message;
    });
  }

  private async finish(job: Scope, snapshotId: string): Promise<void> {
    const scope = { account: job.account, region: job.region };
    await this.work.get(snapshotId);
    const record = this.ec2.snapshots(scope).get(snapshotId);
    if (!record || record.State !== "pending") return;
    const stored = this.blocks.snapshot(snapshotId);
    if (!stored) return this.fail(scope, snapshotId, "The snapshot's data is missing.");
    const now = this.cloud.clock.now();
    if (record._completeAt !== undefined && record._completeAt > now) {
      this.cloud.scheduler.schedule<SnapshotJob>({ kind: JOB_COMPLETE, due: record._completeAt, key: `${JOB_COMPLETE}:${snapshotId}`, payload: { snapshotId }, ...scope });
      return;
    }
    this.cloud.documents.transaction(() => {
      if (stored.state === "pending") this.blocks.setSnapshotState(snapshotId, "completed");
      this.ec2.snapshots(scope).update(snapshotId, (s) => {
        s.State = "completed";
        s.Progress = "100%";
        s.CompletionTime = new Date(now);
        s.FullSnapshotSizeInBytes = this.blocks.blockCount(snapshotId) * BLOCK_SIZE;
        delete s._timeoutAt;
      });
    });
  }

  private timeOut(job: Scope, snapshotId: string): void {
    const scope = { account: job.account, region: job.region };
    const record = this.ec2.snapshots(scope).get(snapshotId);
    if (!record || record.State !== "pending" || record._completeAt !== undefined) return;
    this.cloud.documents.transaction(() => {
      this.blocks.setSnapshotState(snapshotId, "error");
      this.fail(scope, snapshotId, "The snapshot was not completed before its timeout.");
    });
  }

  /** After a restart: captures and copies a crash cut short are redone, or the snapshot fails. */
  private recover(): void {
    for (const scope of this.ec2.snapshotScopes()) {
      for (const record of this.ec2.snapshots(scope).values()) {
        if (record.State !== "pending" || record._source === "direct" || this.blocks.snapshot(record.SnapshotId!)) continue;
        const snapshotId = record.SnapshotId!;
        const started = new Date(record.StartTime!).getTime();
        if (record._source === "volume" && this.blocks.hasVolume(record.VolumeId!)) {
          this.track(
            scope,
            snapshotId,
            this.blocks.snapshotVolume(record.VolumeId!, snapshotId, started).then((c) => this.setDuration(scope, snapshotId, started + snapshotDuration(c.storedBytes))),
          );
        } else {
          this.fail(scope, snapshotId, "The snapshot's source is no longer available.");
        }
      }
    }
  }
}

function mergeTags(first: Tag[], second: Tag[]): Tag[] {
  const out = new Map<string, string>();
  for (const tag of [...first, ...second]) out.set(tag.Key!, tag.Value ?? "");
  return [...out].map(([Key, Value]) => ({ Key, Value }));
}
