/**
 * PutBucketIntelligentTieringConfiguration's rules: an id, a status, an
 * optional filter (prefix, one tag, or both/several under And), and one or
 * two archive tierings (Archive Access after 90–730 days without access,
 * Deep Archive Access after 180–730, later than Archive Access).
 */
import type { IntelligentTieringConfiguration, IntelligentTieringFilter, Tag } from "../../../generated/s3.js";
import { S3Errors } from "../errors.js";
import type { ArchiveTier } from "./tiers.js";

const ID = /^[A-Za-z0-9._-]{1,64}$/;
const LIMITS: Record<ArchiveTier, [number, number]> = { ARCHIVE_ACCESS: [90, 730], DEEP_ARCHIVE_ACCESS: [180, 730] };

/** The configuration as stored, or S3's error. */
export function validateTieringConfig(id: string, config: IntelligentTieringConfiguration | undefined): IntelligentTieringConfiguration {
  if (!config || typeof config.Id !== "string" || !Array.isArray(config.Tierings)) throw S3Errors.malformedXml();
  if (config.Id !== id) throw S3Errors.invalidArgument("Configuration id in the request and body must match", "id", id);
  if (!ID.test(config.Id)) throw S3Errors.invalidArgument("Invalid Id", "id", config.Id);
  if (config.Status !== "Enabled" && config.Status !== "Disabled") throw S3Errors.malformedXml();
  if (config.Tierings.length === 0) throw S3Errors.malformedXml();
  const days = new Map<ArchiveTier, number>();
  for (const tiering of config.Tierings) {
    const tier = tiering.AccessTier as ArchiveTier;
    if (!(tier in LIMITS)) throw S3Errors.malformedXml();
    if (days.has(tier)) throw S3Errors.invalidArgument(`Access tier ${tier} is specified more than once`, "AccessTier", tier);
    const [min, max] = LIMITS[tier];
    const value = Number(tiering.Days);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw S3Errors.invalidArgument(`Days for the ${tier} tier must be between ${min} and ${max}`, "Days", String(tiering.Days));
    }
    days.set(tier, value);
  }
  const archive = days.get("ARCHIVE_ACCESS");
  const deep = days.get("DEEP_ARCHIVE_ACCESS");
  if (archive !== undefined && deep !== undefined && deep <= archive) {
    throw S3Errors.invalidArgument("Days for the DEEP_ARCHIVE_ACCESS tier must be greater than days for the ARCHIVE_ACCESS tier", "Days", String(deep));
  }
  checkFilter(config.Filter);
  return {
    Id: config.Id,
    Status: config.Status,
    ...(config.Filter && Object.keys(config.Filter).length ? { Filter: config.Filter } : {}),
    Tierings: config.Tierings.map((t) => ({ Days: Number(t.Days), AccessTier: t.AccessTier })),
  };
}

function checkFilter(filter: IntelligentTieringFilter | undefined): void {
  if (!filter) return;
  const forms = [filter.Prefix !== undefined, filter.Tag !== undefined, filter.And !== undefined].filter(Boolean).length;
  if (forms > 1) throw S3Errors.malformedXml();
  const tags = filter.Tag ? [filter.Tag] : (filter.And?.Tags ?? []);
  for (const tag of tags) if (typeof tag.Key !== "string" || tag.Key === "") throw S3Errors.invalidArgument("Invalid filter tag key");
}

/** Whether an object falls under the configuration's filter. */
export function filterMatches(filter: IntelligentTieringFilter | undefined, key: string, tags: Tag[]): boolean {
  if (!filter) return true;
  const prefix = filter.Prefix ?? filter.And?.Prefix;
  if (prefix !== undefined && !key.startsWith(prefix)) return false;
  const wanted = filter.Tag ? [filter.Tag] : (filter.And?.Tags ?? []);
  return wanted.every((w) => tags.some((t) => t.Key === w.Key && t.Value === w.Value));
}

/** The days without access after which a configuration archives into each tier it names. */
export function archiveDays(config: IntelligentTieringConfiguration): Partial<Record<ArchiveTier, number>> {
  const out: Partial<Record<ArchiveTier, number>> = {};
  for (const t of config.Tierings) out[t.AccessTier as ArchiveTier] = t.Days;
  return out;
}
