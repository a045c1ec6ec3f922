/**
 * AWS/EBS metrics per volume, every five minutes while the volume is attached
 * (as EBS reports them), from the block store's real I/O counters:
 * VolumeReadBytes/WriteBytes/ReadOps/WriteOps are what happened in the
 * period; VolumeTotalRead/WriteTime, VolumeIdleTime and VolumeQueueLength
 * come from a service-time model (each operation takes 0.5 ms plus its bytes
 * at the volume's throughput).
 */
import type { Cloud } from "../../cloud.js";
import type { Scope } from "../../state/documents.js";
import { metricSink, type BuiltInDatum } from "../cloudwatch/publish.js";
import type { BlockStore, VolumeIo } from "./blocks/block-store.js";
import type { Ec2Link } from "./ec2-link.js";
import type { EbsVolume } from "./records.js";
import { deliveredThroughput } from "./volume-types.js";

export const METRICS_PERIOD_MS = 5 * 60_000;
const JOB = "ebs:metrics";
const OP_LATENCY_S = 0.0005;

export class EbsMetrics {
  private readonly stmts;

  constructor(
    private readonly cloud: Cloud,
    private readonly blocks: BlockStore,
    private readonly ec2: Ec2Link,
  ) {
    cloud.db.migrate("ebs-metrics", [
      `CREATE TABLE ebs_metric_marks (
         volume_id TEXT PRIMARY KEY, read_bytes INTEGER NOT NULL, write_bytes INTEGER NOT NULL,
         read_ops INTEGER NOT NULL, write_ops INTEGER NOT NULL)`,
    ]);
    this.stmts = {
      mark: cloud.db.sql.prepare("SELECT * FROM ebs_metric_marks WHERE volume_id = ?"),
      save: cloud.db.sql.prepare(
        "INSERT INTO ebs_metric_marks (volume_id, read_bytes, write_bytes, read_ops, write_ops) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT (volume_id) DO UPDATE SET read_bytes = excluded.read_bytes, write_bytes = excluded.write_bytes, read_ops = excluded.read_ops, write_ops = excluded.write_ops",
      ),
    };
  }

  onStart(): void {
    this.cloud.scheduler.on(JOB, () => this.tick());
    if (this.attachedVolumes().length > 0) this.ensureTicking();
  }

  /** Starts the five-minute tick (attachments call this); it stops by itself when nothing is attached. */
  ensureTicking(): void {
    if (this.cloud.scheduler.get(JOB)) return;
    this.cloud.scheduler.schedule({ kind: JOB, key: JOB, due: nextBoundary(this.cloud.clock.now()) });
  }

  private attachedVolumes(): Array<{ scope: Scope; volume: EbsVolume }> {
    const out: Array<{ scope: Scope; volume: EbsVolume }> = [];
    for (const scope of this.cloud.documents.collection("ec2", "volumes").scopes()) {
      for (const volume of this.ec2.volumes(scope).values()) if (volume.Attachments?.length) out.push({ scope, volume });
    }
    return out;
  }

  private tick(): void {
    const now = this.cloud.clock.now();
    const attached = this.attachedVolumes();
    const byScope = new Map<string, { scope: Scope; data: BuiltInDatum[] }>();
    const { mark, save } = this.stmts;
    this.cloud.db.transaction(() => {
      for (const { scope, volume } of attached) {
        const io = this.blocks.io(volume.VolumeId!);
        if (!io) continue;
        const last = mark.get(volume.VolumeId!) as { read_bytes: number; write_bytes: number; read_ops: number; write_ops: number } | undefined;
        const delta: VolumeIo = {
          readBytes: io.readBytes - (last?.read_bytes ?? 0),
          writeBytes: io.writeBytes - (last?.write_bytes ?? 0),
          readOps: io.readOps - (last?.read_ops ?? 0),
          writeOps: io.writeOps - (last?.write_ops ?? 0),
        };
        save.run(volume.VolumeId!, io.readBytes, io.writeBytes, io.readOps, io.writeOps);
        const key = `${scope.account}/${scope.region}`;
        const entry = byScope.get(key) ?? { scope, data: [] };
        entry.data.push(...volumeData(volume, delta, new Date(now - METRICS_PERIOD_MS)));
        byScope.set(key, entry);
      }
    });
    const sink = metricSink(this.cloud);
    for (const { scope, data } of byScope.values()) sink.publish(scope, data);
    if (attached.length > 0) this.cloud.scheduler.schedule({ kind: JOB, key: JOB, due: nextBoundary(now) });
  }
}

/** The datapoints of one volume for one period. */
export function volumeData(volume: EbsVolume, delta: VolumeIo, timestamp: Date): BuiltInDatum[] {
  const periodS = METRICS_PERIOD_MS / 1000;
  const bytesPerS = deliveredThroughput({ type: volume.VolumeType, size: volume.Size, throughput: volume.Throughput }) * 1024 * 1024;
  const readTime = delta.readOps * OP_LATENCY_S + delta.readBytes / bytesPerS;
  const writeTime = delta.writeOps * OP_LATENCY_S + delta.writeBytes / bytesPerS;
  const busy = Math.min(periodS, readTime + writeTime);
  const dimensions = [{ Name: "VolumeId", Value: volume.VolumeId! }];
  const datum = (metricName: string, value: number, unit: string): BuiltInDatum => ({
    namespace: "AWS/EBS",
    metricName,
    dimensions,
    timestamp,
    value: round(value),
    unit,
  });
  return [
    datum("VolumeReadBytes", delta.readBytes, "Bytes"),
    datum("VolumeWriteBytes", delta.writeBytes, "Bytes"),
    datum("VolumeReadOps", delta.readOps, "Count"),
    datum("VolumeWriteOps", delta.writeOps, "Count"),
    datum("VolumeTotalReadTime", readTime, "Seconds"),
    datum("VolumeTotalWriteTime", writeTime, "Seconds"),
    datum("VolumeIdleTime", periodS - busy, "Seconds"),
    // Little's law: operations in flight on average over the period.
    datum("VolumeQueueLength", (readTime + writeTime) / periodS, "Count"),
  ];
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function nextBoundary(now: number): number {
  return (Math.floor(now / METRICS_PERIOD_MS) + 1) * METRICS_PERIOD_MS;
}
