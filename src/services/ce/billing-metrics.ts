/**
 * AWS/Billing in CloudWatch: every six hours of the clock, each account with
 * usage this month gets EstimatedCharges — the month-to-date total
 * (Currency=USD) and one per service (ServiceName=AmazonEC2, AmazonS3) —
 * published in us-east-1, as AWS does. A billing alarm on it fires when the
 * metered usage crosses its threshold. The job runs only while there is usage.
 */
import type { Cloud } from "../../cloud.js";
import { metricSink, type BuiltInDatum } from "../cloudwatch/publish.js";
import { HOUR_MS, type UsageLedger } from "./ledger.js";
import { monthStart } from "./periods.js";

const JOB = "ce.billing-metrics";
const PERIOD_MS = 6 * HOUR_MS;
const BILLING_REGION = "us-east-1";

/** Cost Explorer's service names → the service codes AWS/Billing uses. */
const SERVICE_CODES: Record<string, string> = {
  "Amazon Elastic Compute Cloud - Compute": "AmazonEC2",
  "EC2 - Other": "AmazonEC2",
  "Amazon Simple Storage Service": "AmazonS3",
};

export class BillingMetrics {
  constructor(
    private readonly cloud: Cloud,
    private readonly ledger: UsageLedger,
  ) {}

  onStart(): void {
    this.cloud.scheduler.on(JOB, (job) => this.tick(job.due));
    this.ledger.onRecord = () => this.arm();
    if (this.ledger.hasUsageSince(monthStart(this.cloud.clock.now()))) this.arm();
  }

  /** Makes sure the next publication is scheduled (called whenever usage is recorded). */
  arm(): void {
    if (this.cloud.scheduler.get(JOB)) return;
    const now = this.cloud.clock.now();
    this.cloud.scheduler.schedule({ kind: JOB, key: JOB, due: Math.floor(now / PERIOD_MS) * PERIOD_MS + PERIOD_MS });
  }

  private tick(now: number): void {
    const since = monthStart(now - 1);
    const byAccount = new Map<string, Map<string, number>>();
    for (const { account, service, cost } of this.ledger.costByService(since, now)) {
      const services = byAccount.get(account) ?? new Map<string, number>();
      const code = SERVICE_CODES[service] ?? service;
      services.set(code, (services.get(code) ?? 0) + cost);
      byAccount.set(account, services);
    }
    const timestamp = new Date(now);
    const sink = metricSink(this.cloud);
    for (const [account, services] of byAccount) {
      const datum = (value: number, dimensions: BuiltInDatum["dimensions"]): BuiltInDatum => ({
        namespace: "AWS/Billing",
        metricName: "EstimatedCharges",
        dimensions,
        timestamp,
        value: Math.round(value * 100) / 100,
        unit: "None",
      });
      const total = [...services.values()].reduce((a, b) => a + b, 0);
      const data = [datum(total, [{ Name: "Currency", Value: "USD" }])];
      for (const [code, cost] of services) data.push(datum(cost, [{ Name: "ServiceName", Value: code }, { Name: "Currency", Value: "USD" }]));
      try {
        sink.publish({ account, region: BILLING_REGION }, data);
      } catch (error) {
        this.cloud.log.error("ce: publishing AWS/Billing failed", error);
      }
    }
    // Keeps going while the month has usage; a month without any lets the job lapse until usage returns.
    if (byAccount.size > 0 || this.ledger.hasUsageSince(monthStart(now))) {
      this.cloud.scheduler.schedule({ kind: JOB, key: JOB, due: now + PERIOD_MS });
    }
  }
}
