/**
 * IAM's Marker/MaxItems pagination. Items are listed in a stable order (by a
 * sort key); the marker is the opaque, encoded key of the last item returned.
 */
import { IamErrors } from "./errors.js";

export interface Page<T> {
  items: T[];
  IsTruncated: boolean;
  Marker?: string;
}

const DEFAULT_MAX_ITEMS = 100;

export function paginate<T>(items: T[], keyOf: (item: T) => string, marker: string | undefined, maxItems: number | undefined): Page<T> {
  const sorted = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));
  let start = 0;
  if (marker !== undefined) {
    const after = decodeMarker(marker);
    start = sorted.findIndex((item) => compare(keyOf(item), after) > 0);
    if (start < 0) start = sorted.length;
  }
  const limit = maxItems ?? DEFAULT_MAX_ITEMS;
  const page = sorted.slice(start, start + limit);
  const truncated = start + limit < sorted.length;
  return { items: page, IsTruncated: truncated, Marker: truncated ? encodeMarker(keyOf(page[page.length - 1])) : undefined };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeMarker(key: string): string {
  return Buffer.from(`stratus:${key}`, "utf8").toString("base64");
}

function decodeMarker(marker: string): string {
  const text = Buffer.from(marker, "base64").toString("utf8");
  if (!text.startsWith("stratus:")) throw IamErrors.invalidInput("Invalid Marker.");
  return text.slice("stratus:".length);
}

/** Path-prefix filtering as IAM does it: a plain string prefix of the entity's path. */
export function underPath(path: string, prefix: string | undefined): boolean {
  return prefix === undefined || path.startsWith(prefix);
}

/** Pages through items in their own order (tags keep the order they were added in). */
export function paginateInOrder<T>(items: T[], marker: string | undefined, maxItems: number | undefined): Page<T> {
  let start = 0;
  if (marker !== undefined) {
    start = Number(decodeMarker(marker));
    if (!Number.isInteger(start) || start < 0) throw IamErrors.invalidInput("Invalid Marker.");
  }
  const limit = maxItems ?? DEFAULT_MAX_ITEMS;
  const truncated = start + limit < items.length;
  return { items: items.slice(start, start + limit), IsTruncated: truncated, Marker: truncated ? encodeMarker(String(start + limit)) : undefined };
}
