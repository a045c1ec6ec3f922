/**
 * Cost allocation tags: ListCostAllocationTags and
 * UpdateCostAllocationTagsStatus. Every user tag key a metered resource
 * carried is listed; unlike AWS, a key is Active from the start (AWS waits
 * for activation), and one set Inactive drops out of Cost Explorer's tag
 * grouping, filters and GetTags until it is activated again.
 */
import type { Cloud } from "../../cloud.js";
import type {
  CostAllocationTag,
  ListCostAllocationTagsRequest,
  ListCostAllocationTagsResponse,
  UpdateCostAllocationTagsStatusRequest,
  UpdateCostAllocationTagsStatusResponse,
} from "../../generated/ce.js";
import type { ScopedCollection } from "../../state/documents.js";
import type { UsageLedger, UsageRow } from "./ledger.js";
import { paginate, validation } from "./periods.js";

interface TagStatus {
  TagKey: string;
  Status: "Active" | "Inactive";
  LastUpdatedDate: string;
}

const MAX_UPDATES = 20;

export class AllocationTags {
  constructor(
    private readonly cloud: Cloud,
    private readonly ledger: UsageLedger,
  ) {}

  private statuses(account: string): ScopedCollection<TagStatus> {
    return this.cloud.documents.collection<TagStatus>("ce", "cost-allocation-tags").scope({ account, region: "global" });
  }

  /** Drops the keys set Inactive from the rows' tags. */
  applyTo(account: string, rows: UsageRow[]): UsageRow[] {
    const inactive = new Set(this.statuses(account).values().filter((s) => s.Status === "Inactive").map((s) => s.TagKey));
    if (inactive.size === 0) return rows;
    return rows.map((row) => {
      if (!row.tags || !Object.keys(row.tags).some((k) => inactive.has(k))) return row;
      const tags = Object.fromEntries(Object.entries(row.tags).filter(([k]) => !inactive.has(k)));
      return { ...row, tags: Object.keys(tags).length ? tags : undefined };
    });
  }

  list(input: ListCostAllocationTagsRequest, account: string): ListCostAllocationTagsResponse {
    const seen = this.ledger.tagKeys(account);
    const statuses = this.statuses(account);
    let tags: CostAllocationTag[] = [...seen.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, lastUsed]) => {
        const status = statuses.get(key);
        return {
          TagKey: key,
          Type: "UserDefined",
          Status: status?.Status ?? "Active",
          LastUpdatedDate: status?.LastUpdatedDate,
          LastUsedDate: new Date(lastUsed).toISOString(),
        };
      });
    if (input.Type === "AWSGenerated") tags = [];
    if (input.Status) tags = tags.filter((t) => t.Status === input.Status);
    if (input.TagKeys?.length) tags = tags.filter((t) => input.TagKeys!.includes(t.TagKey));
    const page = paginate(tags, input.MaxResults, input.NextToken, 100);
    return { CostAllocationTags: page.items, ...(page.next ? { NextToken: page.next } : {}) };
  }

  update(input: UpdateCostAllocationTagsStatusRequest, account: string): UpdateCostAllocationTagsStatusResponse {
    const entries = input.CostAllocationTagsStatus ?? [];
    if (entries.length === 0 || entries.length > MAX_UPDATES) throw validation(`CostAllocationTagsStatus must have between 1 and ${MAX_UPDATES} entries`);
    const seen = this.ledger.tagKeys(account);
    const errors: UpdateCostAllocationTagsStatusResponse["Errors"] = [];
    const now = this.cloud.clock.date().toISOString();
    for (const entry of entries) {
      if (!seen.has(entry.TagKey)) {
        errors.push({ TagKey: entry.TagKey, Code: "TagKeysNotFoundException", Message: `The tag key ${entry.TagKey} is not found on any resource in this account` });
        continue;
      }
      this.statuses(account).put(entry.TagKey, { TagKey: entry.TagKey, Status: entry.Status, LastUpdatedDate: now });
    }
    return { Errors: errors };
  }
}
