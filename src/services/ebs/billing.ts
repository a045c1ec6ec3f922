/**
 * EBS storage for Cost Explorer. Every hour of the clock, each volume that
 * exists is charged its provisioned GB-months (and gp3's IOPS above 3,000
 * and throughput above 125 MiB/s, io1/io2's IOPS) for the part of the hour
 * it existed, and each snapshot the GB-months of the blocks it stores beyond
 * its parent (snapshots are incremental). A volume or snapshot deleted in
 * the middle of an hour is charged up to then. The job runs only while
 * volumes or snapshots exist.
 */
import type { Cloud } from "../../cloud.js";
import type { Scope } from "../../state/documents.js";
import { HOUR_MS, hoursInMonth, tagMap, usageLedger, type UsageItem } from "../ce/ledger.js";
import { usagePrefix } from "../pricing/catalog.js";
import { provisionedRate, snapshotRate, volumeRate } from "../pricing/rates.js";
import { BLOCK_SIZE, type BlockStore } from "./blocks/block-store.js";
import { MINIMUM_ARCHIVE_MS, type TieredSnapshot } from "./snapshot-tiers.js";
import type { Ec2Link } from "./ec2-link.js";
import type { EbsSnapshot, EbsVolume } from "./records.js";

const JOB = "ebs:billing";
const GIB = 1024 ** 3;
const SERVICE = "EC2 - Other";

/** Per volume type: the usage-type suffix, the operation and the usage type group EC2 bills it under. */
const VOLUME_TYPES: Record<string, { suffix: string; operation: string; group: string }> = {
  gp3: { suffix: ".gp3", operation: "CreateVolume-Gp3", group: "EC2: EBS - SSD(gp3)" },
  gp2: { suffix: ".gp2", operation: "CreateVolume-Gp2", group: "EC2: EBS - SSD(gp2)" },
  io1: { suffix: ".piops", operation: "CreateVolume-P-IOPS", group: "EC2: EBS - SSD(io1)" },
  io2: { suffix: ".io2", operation: "CreateVolume-io2", group: "EC2: EBS - SSD(io2)" },
  st1: { suffix: ".st1", operation: "CreateVolume-St1", group: "EC2: EBS - HDD(st1)" },
  sc1: { suffix: ".sc1", operation: "CreateVolume-Sc1", group: "EC2: EBS - HDD(sc1)" },
  standard: { suffix: "", operation: "CreateVolume", group: "EC2: EBS - Magnetic" },
};

export class EbsBilling {
  /** Bytes each completed snapshot adds to its parent (they change only when a snapshot is deleted). */
  private readonly added = new Map<string, number>();

  constructor(
    private readonly cloud: Cloud,
    private readonly blocks: BlockStore,
    private readonly ec2: Ec2Link,
  ) {}

  onStart(): void {
    this.cloud.scheduler.on(JOB, (job) => this.tick(job.due));
    this.ensureTicking();
  }

  /** Starts the hourly job (volumes and snapshots call this when created); it stops when nothing is left. */
  ensureTicking(): void {
    if (this.cloud.scheduler.get(JOB) || !this.anything()) return;
    this.schedule(this.cloud.clock.now());
  }

  private schedule(now: number): void {
    this.cloud.scheduler.schedule({ kind: JOB, key: JOB, due: Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS });
  }

  private anything(): boolean {
    const documents = this.cloud.documents;
    return [...documents.collection("ec2", "volumes").scopes(), ...documents.collection("ec2", "snapshots").scopes()].some(
      (scope) => this.ec2.volumes(scope).values().length > 0 || this.ec2.snapshots(scope).values().length > 0,
    );
  }

  /** Charges the hour that ended at `end` for everything that exists. */
  private tick(end: number): void {
    const start = end - HOUR_MS;
    for (const scope of this.cloud.documents.collection("ec2", "volumes").scopes()) {
      for (const volume of this.ec2.volumes(scope).values()) this.chargeVolume(scope, volume, start, end);
    }
    for (const scope of this.ec2.snapshotScopes()) {
      for (const snapshot of this.ec2.snapshots(scope).values()) this.chargeSnapshot(scope, snapshot, start, end);
    }
    if (this.anything()) this.schedule(end);
  }

  /** A volume is going: charge the part of the current hour it existed. */
  volumeDeleted(scope: Scope, volume: EbsVolume): void {
    const now = this.cloud.clock.now();
    this.chargeVolume(scope, volume, Math.floor(now / HOUR_MS) * HOUR_MS, now);
  }

  snapshotDeleted(scope: Scope, snapshot: EbsSnapshot): void {
    const now = this.cloud.clock.now();
    this.chargeSnapshot(scope, snapshot, Math.floor(now / HOUR_MS) * HOUR_MS, now);
    this.leftArchive(scope, snapshot, now);
    // Its children now hold what it held.
    this.added.clear();
  }

  private addedBytes(snapshot: EbsSnapshot): number {
    const id = snapshot.SnapshotId!;
    const cached = this.added.get(id);
    if (cached !== undefined) return cached;
    const bytes = this.blocks.incrementalBytes(id);
    if (snapshot.State === "completed") this.added.set(id, bytes);
    return bytes;
  }

  private chargeVolume(scope: Scope, volume: EbsVolume, start: number, end: number): void {
    if (volume.State === "error") return;
    const from = Math.max(start, new Date(volume.CreateTime ?? start).getTime());
    if (from >= end) return;
    const type = volume.VolumeType ?? "gp2";
    const spec = VOLUME_TYPES[type] ?? VOLUME_TYPES.gp2;
    const months = (end - from) / HOUR_MS / hoursInMonth(from);
    const prefix = usagePrefix(scope.region);
    const base = {
      service: SERVICE,
      operation: spec.operation,
      resource: volume.VolumeId!,
      az: volume.AvailabilityZone,
      usageGroup: spec.group,
      tags: tagMap(volume.Tags),
    };
    const size = volume.Size ?? 0;
    const items: UsageItem[] = [
      { ...base, usageType: `${prefix}EBS:VolumeUsage${spec.suffix}`, unit: "GB-Mo", quantity: size * months, cost: size * months * volumeRate(type, scope.region) },
    ];
    const iops = volume.Iops ?? 0;
    const provisionedIops = type === "gp3" ? Math.max(0, iops - 3000) : type === "io1" || type === "io2" ? iops : 0;
    if (provisionedIops > 0) {
      const key = type === "gp3" ? "gp3-iops" : `${type}-iops`;
      items.push({
        ...base,
        usageType: `${prefix}EBS:VolumeP-IOPS${spec.suffix}`,
        unit: "IOPS-Mo",
        usageGroup: "EC2: EBS - Provisioned IOPS",
        quantity: provisionedIops * months,
        cost: provisionedIops * months * provisionedRate(key, scope.region),
      });
    }
    const throughput = type === "gp3" ? Math.max(0, (volume.Throughput ?? 125) - 125) : 0;
    if (throughput > 0) {
      items.push({
        ...base,
        usageType: `${prefix}EBS:VolumeP-Throughput.gp3`,
        unit: "MiBps-Mo",
        usageGroup: "EC2: EBS - Provisioned Throughput",
        quantity: throughput * months,
        cost: throughput * months * provisionedRate("gp3-throughput", scope.region),
      });
    }
    usageLedger(this.cloud).record(scope, from, items);
  }

  /**
   * A snapshot in the standard tier is charged the blocks it adds to its
   * parent; an archived one every block it holds (archived snapshots are
   * full), at the archive price — and, while temporarily restored, at the
   * standard price too.
   */
  private chargeSnapshot(scope: Scope, snapshot: EbsSnapshot, start: number, end: number): void {
    if (snapshot.State === "error") return;
    const from = Math.max(start, new Date(snapshot.StartTime ?? start).getTime());
    if (from >= end) return;
    const months = (end - from) / HOUR_MS / hoursInMonth(from);
    const archived = snapshot.StorageTier === "archive";
    const items: UsageItem[] = [];
    if (archived) {
      const gb = this.fullBytes(snapshot) / GIB;
      items.push(this.snapshotItem(scope, snapshot, "SnapshotArchiveStorage", gb * months, "archive"));
      if ((snapshot as TieredSnapshot)._tiering?.status === "temporary-restore-completed") items.push(this.snapshotItem(scope, snapshot, "SnapshotUsage", gb * months, "standard"));
    } else {
      items.push(this.snapshotItem(scope, snapshot, "SnapshotUsage", (this.addedBytes(snapshot) / GIB) * months, "standard"));
    }
    usageLedger(this.cloud).record(scope, from, items.filter((item) => item.quantity > 0));
  }

  /** An archived snapshot deleted or restored for good before its 90 days is charged the rest of them, as AWS does. */
  leftArchive(scope: Scope, snapshot: EbsSnapshot, now: number): void {
    const archivedAt = snapshot.StorageTier === "archive" ? (snapshot as TieredSnapshot)._tiering?.archivedAt : undefined;
    if (archivedAt === undefined || now - archivedAt >= MINIMUM_ARCHIVE_MS) return;
    const months = (archivedAt + MINIMUM_ARCHIVE_MS - now) / HOUR_MS / hoursInMonth(now);
    usageLedger(this.cloud).record(scope, now, [this.snapshotItem(scope, snapshot, "SnapshotArchiveEarlyDelete", (this.fullBytes(snapshot) / GIB) * months, "archive")]);
  }

  private snapshotItem(scope: Scope, snapshot: EbsSnapshot, usage: string, gbMonths: number, tier: "archive" | "standard"): UsageItem {
    return {
      service: SERVICE,
      usageType: `${usagePrefix(scope.region)}EBS:${usage}`,
      operation: "CreateSnapshot",
      unit: "GB-Mo",
      resource: snapshot.SnapshotId!,
      quantity: gbMonths,
      cost: gbMonths * snapshotRate(tier, scope.region),
      usageGroup: "EC2: EBS - Snapshots",
      tags: tagMap(snapshot.Tags),
    };
  }

  /** Every block the snapshot holds (an archived snapshot is a full one). */
  private fullBytes(snapshot: EbsSnapshot): number {
    return this.blocks.blockCount(snapshot.SnapshotId!) * BLOCK_SIZE;
  }
}
