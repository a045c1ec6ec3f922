/** Publishing AWS/S3 datapoints to CloudWatch through the shared metric sink. */
import type { Cloud } from "../../../cloud.js";
import { metricSink, type BuiltInDatum } from "../../cloudwatch/publish.js";
import type { Scope } from "../../../state/documents.js";

/** S3's name for each storage class's storage: the StorageType dimension, and the operation it is billed under. */
export const STORAGE_TYPE: Record<string, string> = {
  STANDARD: "StandardStorage",
  REDUCED_REDUNDANCY: "ReducedRedundancyStorage",
  STANDARD_IA: "StandardIAStorage",
  ONEZONE_IA: "OneZoneIAStorage",
  // Intelligent-Tiering by access tier (intelligent-tiering/tiers.ts tierStorageKey).
  INTELLIGENT_TIERING: "IntelligentTieringFAStorage",
  INTELLIGENT_TIERING_IA: "IntelligentTieringIAStorage",
  INTELLIGENT_TIERING_AIA: "IntelligentTieringAIAStorage",
  INTELLIGENT_TIERING_AA: "IntelligentTieringAAStorage",
  INTELLIGENT_TIERING_DAA: "IntelligentTieringDAAStorage",
  GLACIER_IR: "GlacierInstantRetrievalStorage",
  GLACIER: "GlacierStorage",
  DEEP_ARCHIVE: "DeepArchiveStorage",
};

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
