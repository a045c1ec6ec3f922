/**
 * AWS/EC2 metrics from the driver. Every 5 minutes of the clock, each
 * instance that ran during the past 5 minutes gets its datapoints: one per
 * metric (basic monitoring), or one per minute after MonitorInstances
 * (detailed monitoring, which also feeds the InstanceType and ImageId
 * aggregations, as in EC2). The same periods meter instance-hours for Cost
 * Explorer (billing.ts). One job per account and region, only while
 * something runs, so a 90-day clock jump stays cheap.
 */
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import type { Scope } from "../../../state/documents.js";
import { metricSink, type BuiltInDatum } from "../../cloudwatch/publish.js";
import type { InstanceRecord } from "../state.js";
import type { Usage } from "./driver.js";
import { tagMap } from "../../ce/ledger.js";
import { chargePublicIp } from "../addresses/billing.js";
import { chargeInstance } from "./billing.js";
import type { InstancesModule } from "./module.js";

const JOB_METRICS = "ec2.metrics";
export const METRIC_PERIOD_MS = 300_000;
const MINUTE = 60_000;

const METRICS: Array<[keyof Usage, string, string]> = [
  ["cpuUtilization", "CPUUtilization", "Percent"],
  ["networkIn", "NetworkIn", "Bytes"],
  ["networkOut", "NetworkOut", "Bytes"],
  ["networkPacketsIn", "NetworkPacketsIn", "Count"],
  ["networkPacketsOut", "NetworkPacketsOut", "Count"],
  ["diskReadBytes", "DiskReadBytes", "Bytes"],
  ["diskWriteBytes", "DiskWriteBytes", "Bytes"],
  ["diskReadOps", "DiskReadOps", "Count"],
  ["diskWriteOps", "DiskWriteOps", "Count"],
  ["statusCheckFailedInstance", "StatusCheckFailed_Instance", "Count"],
  ["statusCheckFailedSystem", "StatusCheckFailed_System", "Count"],
];

export class InstanceMetrics {
  constructor(
    private readonly cloud: Cloud,
    private readonly instances: InstancesModule,
  ) {}

  onStart(): void {
    this.cloud.scheduler.on(JOB_METRICS, (job: Job) => this.tick({ account: job.account, region: job.region }, job.due));
    this.instances.onActivity = (scope) => this.ensureScheduled(scope);
  }

  private key(scope: Scope): string {
    return `ec2/metrics/${scope.account}/${scope.region}`;
  }

  /** Makes sure the scope's metrics job is due at the next period boundary. */
  ensureScheduled(scope: Scope): void {
    if (this.cloud.scheduler.get(this.key(scope))) return;
    const now = this.cloud.clock.now();
    this.schedule(scope, now - (now % METRIC_PERIOD_MS) + METRIC_PERIOD_MS);
  }

  private schedule(scope: Scope, due: number): void {
    this.cloud.scheduler.schedule({ kind: JOB_METRICS, due, key: this.key(scope), account: scope.account, region: scope.region });
  }

  /** Publishes the period that ended at `end`, then schedules the next one while anything runs. */
  tick(scope: Scope, end: number): void {
    const start = end - METRIC_PERIOD_MS;
    const data: BuiltInDatum[] = [];
    let active = false;
    for (const record of this.instances.instances(scope).values()) {
      const state = record.State?.Name;
      if (state === "running" || state === "pending") active = true;
      const window = activeWindow(record, start, end);
      if (!window) continue;
      chargeInstance(this.cloud, scope, record, window[0], window[1], { start: window[2], end: window[3] });
      // Its auto-assigned public IPv4 address, while it runs (an Elastic IP is metered by the addresses module).
      if (record._autoPublicIp && !record._eip) chargePublicIp(this.cloud, scope, "InUse", record.InstanceId!, window[0], window[1], tagMap(record.Tags));
      const driverView = this.instances.driverView(scope, record);
      const detailed = record.Monitoring?.State === "enabled";
      if (detailed) {
        for (let minute = start; minute < end; minute += MINUTE) {
          const from = Math.max(minute, window[0]);
          const to = Math.min(minute + MINUTE, window[1]);
          if (from >= to) continue;
          const usage = this.instances.driver.usage({ ...driverView, runningSince: window[2] }, from, to);
          data.push(...datapoints(record, new Date(minute), usage, true));
        }
      } else {
        const usage = this.instances.driver.usage({ ...driverView, runningSince: window[2] }, window[0], window[1]);
        data.push(...datapoints(record, new Date(start), usage, false));
      }
    }
    if (data.length) {
      try {
        metricSink(this.cloud).publish(scope, data);
      } catch (error) {
        this.cloud.log.error("ec2: publishing metrics failed", error);
      }
    }
    if (active) this.schedule(scope, end + METRIC_PERIOD_MS);
  }
}

/** The part [0, 1) of [start, end) the instance was running, when that run began (2) and, if it has, ended (3). */
function activeWindow(record: InstanceRecord, start: number, end: number): [number, number, number, number?] | undefined {
  if (record._runningSince !== undefined && record._runningSince < end) {
    return [Math.max(start, record._runningSince), end, record._runningSince];
  }
  const last = record._lastRun;
  if (last && last.end > start && last.start < end) return [Math.max(start, last.start), Math.min(end, last.end), last.start, last.end];
  return undefined;
}

function datapoints(record: InstanceRecord, timestamp: Date, usage: Usage, detailed: boolean): BuiltInDatum[] {
  const dimensionSets = [[{ Name: "InstanceId", Value: record.InstanceId! }]];
  if (detailed) {
    dimensionSets.push([{ Name: "InstanceType", Value: record.InstanceType! }], [{ Name: "ImageId", Value: record.ImageId! }]);
  }
  const out: BuiltInDatum[] = [];
  for (const dimensions of dimensionSets) {
    for (const [field, metricName, unit] of METRICS) {
      out.push({ namespace: "AWS/EC2", metricName, dimensions, timestamp, value: usage[field], unit });
    }
    out.push({
      namespace: "AWS/EC2",
      metricName: "StatusCheckFailed",
      dimensions,
      timestamp,
      value: Math.max(usage.statusCheckFailedInstance, usage.statusCheckFailedSystem),
      unit: "Count",
    });
  }
  return out;
}
