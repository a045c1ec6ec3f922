/**
 * Regions and their availability zones. Zone names map to zone ids as in a
 * typical account (the mapping is per account in AWS; Stratus fixes one).
 * A region Stratus does not list still works: it gets three zones a–c.
 */
export interface ZoneInfo {
  name: string;
  id: string;
}

export interface RegionInfo {
  name: string;
  /** "US East (N. Virginia)". */
  longName: string;
  optIn: "opt-in-not-required" | "not-opted-in";
  zones: ZoneInfo[];
}

function zones(region: string, idPrefix: string, letters: string, azNumbers: number[]): ZoneInfo[] {
  return [...letters].map((letter, i) => ({ name: `${region}${letter}`, id: `${idPrefix}-az${azNumbers[i]}` }));
}

export const REGIONS: readonly RegionInfo[] = [
  { name: "us-east-1", longName: "US East (N. Virginia)", optIn: "opt-in-not-required", zones: zones("us-east-1", "use1", "abcdef", [6, 1, 2, 4, 3, 5]) },
  { name: "us-east-2", longName: "US East (Ohio)", optIn: "opt-in-not-required", zones: zones("us-east-2", "use2", "abc", [1, 2, 3]) },
  { name: "us-west-1", longName: "US West (N. California)", optIn: "opt-in-not-required", zones: zones("us-west-1", "usw1", "ac", [3, 1]) },
  { name: "us-west-2", longName: "US West (Oregon)", optIn: "opt-in-not-required", zones: zones("us-west-2", "usw2", "abcd", [2, 1, 3, 4]) },
  { name: "ca-central-1", longName: "Canada (Central)", optIn: "opt-in-not-required", zones: zones("ca-central-1", "cac1", "abd", [1, 2, 4]) },
  { name: "eu-west-1", longName: "Europe (Ireland)", optIn: "opt-in-not-required", zones: zones("eu-west-1", "euw1", "abc", [3, 1, 2]) },
  { name: "eu-west-2", longName: "Europe (London)", optIn: "opt-in-not-required", zones: zones("eu-west-2", "euw2", "abc", [2, 3, 1]) },
  { name: "eu-west-3", longName: "Europe (Paris)", optIn: "opt-in-not-required", zones: zones("eu-west-3", "euw3", "abc", [1, 2, 3]) },
  { name: "eu-central-1", longName: "Europe (Frankfurt)", optIn: "opt-in-not-required", zones: zones("eu-central-1", "euc1", "abc", [2, 3, 1]) },
  { name: "eu-north-1", longName: "Europe (Stockholm)", optIn: "opt-in-not-required", zones: zones("eu-north-1", "eun1", "abc", [1, 2, 3]) },
  { name: "ap-south-1", longName: "Asia Pacific (Mumbai)", optIn: "opt-in-not-required", zones: zones("ap-south-1", "aps1", "abc", [1, 3, 2]) },
  { name: "ap-northeast-1", longName: "Asia Pacific (Tokyo)", optIn: "opt-in-not-required", zones: zones("ap-northeast-1", "apne1", "acd", [4, 1, 2]) },
  { name: "ap-northeast-2", longName: "Asia Pacific (Seoul)", optIn: "opt-in-not-required", zones: zones("ap-northeast-2", "apne2", "abcd", [1, 2, 3, 4]) },
  { name: "ap-northeast-3", longName: "Asia Pacific (Osaka)", optIn: "opt-in-not-required", zones: zones("ap-northeast-3", "apne3", "abc", [3, 1, 2]) },
  { name: "ap-southeast-1", longName: "Asia Pacific (Singapore)", optIn: "opt-in-not-required", zones: zones("ap-southeast-1", "apse1", "abc", [1, 2, 3]) },
  { name: "ap-southeast-2", longName: "Asia Pacific (Sydney)", optIn: "opt-in-not-required", zones: zones("ap-southeast-2", "apse2", "abc", [3, 1, 2]) },
  { name: "sa-east-1", longName: "South America (Sao Paulo)", optIn: "opt-in-not-required", zones: zones("sa-east-1", "sae1", "abc", [1, 2, 3]) },
  { name: "af-south-1", longName: "Africa (Cape Town)", optIn: "not-opted-in", zones: zones("af-south-1", "afs1", "abc", [1, 2, 3]) },
  { name: "ap-east-1", longName: "Asia Pacific (Hong Kong)", optIn: "not-opted-in", zones: zones("ap-east-1", "ape1", "abc", [1, 2, 3]) },
  { name: "eu-south-1", longName: "Europe (Milan)", optIn: "not-opted-in", zones: zones("eu-south-1", "eus1", "abc", [1, 2, 3]) },
  { name: "me-south-1", longName: "Middle East (Bahrain)", optIn: "not-opted-in", zones: zones("me-south-1", "mes1", "abc", [1, 2, 3]) },
];

const BY_NAME = new Map(REGIONS.map((r) => [r.name, r]));

/** A region's description; unknown names get three synthetic zones. */
export function regionInfo(name: string): RegionInfo {
  const known = BY_NAME.get(name);
  if (known) return known;
  const compact = name.replace(/-/g, "").slice(0, 6);
  return { name, longName: name, optIn: "opt-in-not-required", zones: zones(name, compact, "abc", [1, 2, 3]) };
}

export function isKnownRegion(name: string): boolean {
  return BY_NAME.has(name);
}

/** The zone by name in a region, if it exists. */
export function findZone(region: string, zoneName: string): ZoneInfo | undefined {
  return regionInfo(region).zones.find((z) => z.name === zoneName);
}

/** The zone by id in a region, if it exists. */
export function findZoneById(region: string, zoneId: string): ZoneInfo | undefined {
  return regionInfo(region).zones.find((z) => z.id === zoneId);
}
