/**
 * MaxResults/NextToken as EC2 does them. Results are ordered by a stable key;
 * the token names the key to continue after, so a page stays correct when
 * resources come and go between calls.
 */
import { Ec2Errors } from "./errors.js";

export interface PageBounds {
  /** Smallest MaxResults EC2 accepts (5 for most Describe* calls). */
  min: number;
  /** Largest MaxResults EC2 accepts. */
  max: number;
  /** Page size when MaxResults is absent; everything when undefined. */
  defaultSize?: number;
  /**
   * When the request names resources by id, MaxResults is refused
   * (InvalidParameterCombination naming this parameter, e.g. "instancesSet").
   */
  idsParameter?: string;
}

export interface PageRequest {
  MaxResults?: number;
  NextToken?: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** Checks MaxResults against the bounds (and against ids given in the same call). */
export function checkMaxResults(request: PageRequest, bounds: PageBounds, idsGiven = false): void {
  const max = request.MaxResults;
  if (max === undefined) return;
  if (idsGiven && bounds.idsParameter) throw Ec2Errors.idsWithMaxResults(bounds.idsParameter);
  if (max < bounds.min) throw Ec2Errors.maxResultsTooSmall(max, bounds.min);
  if (max > bounds.max) throw Ec2Errors.maxResultsTooLarge(max, bounds.max);
}

/**
 * One page of `items` (already filtered). `keyOf` gives each item's sort key;
 * items are sorted by it here.
 */
export function paginate<T>(items: T[], request: PageRequest, bounds: PageBounds, keyOf: (item: T) => string, idsGiven = false): Page<T> {
  checkMaxResults(request, bounds, idsGiven);
  const keyed = items.map((item) => ({ key: keyOf(item), item }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let start = 0;
  if (request.NextToken) {
    const after = decodeToken(request.NextToken);
    start = lowerBound(keyed, after);
  }
  const size = request.MaxResults ?? bounds.defaultSize ?? keyed.length;
  const slice = keyed.slice(start, start + size);
  const more = start + size < keyed.length;
  return {
    items: slice.map((k) => k.item),
    nextToken: more && slice.length ? encodeToken(slice[slice.length - 1].key) : undefined,
  };
}

/** First index whose key is strictly greater than `after`. */
function lowerBound(keyed: Array<{ key: string }>, after: string): number {
  let lo = 0;
  let hi = keyed.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keyed[mid].key <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const TOKEN_PREFIX = "stratus1:";

export function encodeToken(key: string): string {
  return Buffer.from(TOKEN_PREFIX + key, "utf8").toString("base64");
}

export function decodeToken(token: string): string {
  let text = "";
  try {
    text = Buffer.from(token, "base64").toString("utf8");
  } catch {
    throw Ec2Errors.invalidNextToken(token);
  }
  if (!text.startsWith(TOKEN_PREFIX)) throw Ec2Errors.invalidNextToken(token);
  return text.slice(TOKEN_PREFIX.length);
}
