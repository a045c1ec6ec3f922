/**
 * How other services feed CloudWatch their built-in metrics (AWS/EC2, AWS/EBS,
 * AWS/S3): they publish datapoints measured from what really happened.
 */
import type { Cloud } from "../../cloud.js";
import type { Scope } from "../../state/documents.js";

export interface BuiltInDatum {
  namespace: string;
  metricName: string;
  dimensions: Array<{ Name: string; Value: string }>;
  timestamp: Date;
  value: number;
  unit?: string;
}

export interface MetricSink {
  publish(scope: Scope, data: BuiltInDatum[]): void;
}

export function metricSink(cloud: Cloud): MetricSink {
  return cloud.provider<import("./provider.js").CloudWatchProvider>("cloudwatch");
}
