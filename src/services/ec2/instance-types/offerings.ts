/**
 * Which instance types each zone offers. Most types run in every zone; the
 * GPU families are in fewer zones (p3 in the first three of a region, p3dn in
 * two), and us-east-1e (use1-az3), the oldest zone, offers only t2, t3, m5,
 * c5 and r5 — as in AWS, where a type is not in every zone.
 */
import { regionInfo, type ZoneInfo } from "../regions/regions.js";
import { INSTANCE_TYPES } from "./catalog.js";

export function offeredInZone(region: string, zone: ZoneInfo, type: string): boolean {
  const zones = regionInfo(region).zones;
  const index = zones.findIndex((z) => z.name === zone.name);
  if (index < 0) return false;
  const family = type.split(".")[0];
  if (zone.id === "use1-az3") return ["t2", "t3", "m5", "c5", "r5"].includes(family);
  if (family === "p3") return index < 3;
  if (family === "p3dn") return index < 2;
  return true;
}

/** The zones of a region offering a type, in zone order. */
export function zonesOffering(region: string, type: string): ZoneInfo[] {
  return regionInfo(region).zones.filter((z) => offeredInZone(region, z, type));
}

export function typesInZone(region: string, zone: ZoneInfo): string[] {
  return INSTANCE_TYPES.map((t) => t.InstanceType as string).filter((t) => offeredInZone(region, zone, t));
}
