/** IAM tags: keys are case-insensitive, at most 50 per entity. */
import { IamErrors } from "./errors.js";
import type { TagRecord } from "./store.js";

const MAX_TAGS = 50;

/** Tags given at creation: duplicate keys (ignoring case) are refused. */
export function initialTags(tags: TagRecord[] | undefined): TagRecord[] {
  const out: TagRecord[] = [];
  const seen = new Set<string>();
  for (const tag of tags ?? []) {
    const key = tag.Key.toLowerCase();
    if (seen.has(key)) throw IamErrors.invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    seen.add(key);
    out.push({ Key: tag.Key, Value: tag.Value ?? "" });
  }
  return out;
}

/** TagX: new keys are added, existing ones (in any case) get the new value. */
export function mergeTags(current: TagRecord[], added: TagRecord[]): TagRecord[] {
  const incoming = initialTags(added);
  const out = current.map((t) => ({ ...t }));
  for (const tag of incoming) {
    const existing = out.find((t) => t.Key.toLowerCase() === tag.Key.toLowerCase());
    if (existing) existing.Value = tag.Value;
    else out.push(tag);
  }
  if (out.length > MAX_TAGS) throw IamErrors.limitExceeded("The number of tags has reached the maximum limit.");
  return out;
}

/** UntagX: keys that are not there are ignored. */
export function removeTags(current: TagRecord[], keys: string[]): TagRecord[] {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  return current.filter((t) => !drop.has(t.Key.toLowerCase()));
}
