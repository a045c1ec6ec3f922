/** DLM's policy records, per account and region. */
import type { Cloud } from "../../cloud.js";
import type { LifecyclePolicy } from "../../generated/dlm.js";
import type { Scope, ScopedCollection } from "../../state/documents.js";

export type PolicyRecord = LifecyclePolicy & {
  PolicyId: string;
  PolicyArn: string;
  /** Default policies' own parameters (they have no schedules of their own). */
  _default?: { type: "VOLUME" | "INSTANCE"; createIntervalDays: number; retainIntervalDays: number; copyTags: boolean; exclusions?: import("../../generated/dlm.js").Exclusions };
  /** The start time ("hh:mm" UTC) of schedules that name none, fixed at creation. */
  _defaultStart: string;
};

export function policies(cloud: Cloud, scope: Scope): ScopedCollection<PolicyRecord> {
  return cloud.documents.collection<PolicyRecord>("dlm", "policies").scope(scope);
}

export function policyScopes(cloud: Cloud): Scope[] {
  return cloud.documents.collection("dlm", "policies").scopes();
}
