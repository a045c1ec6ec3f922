/** KMS's Limit/Marker paging over a sorted list: the marker is the sort key of the last item returned. */
import { KmsErrors } from "./errors.js";

export interface Page<T> {
  items: T[];
  truncated: boolean;
  nextMarker?: string;
}

export function paginate<T>(sorted: T[], sortKey: (item: T) => string, limit = 100, marker?: string): Page<T> {
  let start = 0;
  if (marker !== undefined) {
    let after: string;
    try {
      after = Buffer.from(marker, "base64url").toString("utf8");
    } catch {
      throw KmsErrors.invalidMarker();
    }
    if (!after) throw KmsErrors.invalidMarker();
    start = sorted.findIndex((item) => sortKey(item) > after);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + limit);
  const truncated = start + limit < sorted.length;
  return { items, truncated, nextMarker: truncated ? Buffer.from(sortKey(items[items.length - 1]), "utf8").toString("base64url") : undefined };
}
