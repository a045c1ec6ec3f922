/** Publishing AWS/S3 datapoints to CloudWatch through the shared metric sink. */
import type { Cloud } from "../../../cloud.js";
import { metricSink, type BuiltInDatum } from "../../cloudwatch/publish.js";
import type { Scope } from "../../../state/documents.js";

export function publishS3(cloud: Cloud, scope: Scope, data: BuiltInDatum[]): void {
  if (data.length === 0) return;
  const sink = metricSink(cloud) as Partial<ReturnType<typeof metricSink>>;
  // Until CloudWatch's metric store is present, built-in metrics have nowhere to go.
  if (typeof sink.publish !== "function") return;
  try {
    sink.publish(scope, data);
  } catch (error) {
    cloud.log.error("s3: publishing AWS/S3 metrics failed", error);
  }
}
