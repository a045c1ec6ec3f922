/** DescribeRegions and DescribeAvailabilityZones. */
import type { Cloud } from "../../../cloud.js";
import type {
  AvailabilityZone,
  DescribeAvailabilityZonesRequest,
  DescribeAvailabilityZonesResult,
  DescribeRegionsRequest,
  DescribeRegionsResult,
  Region,
} from "../../../generated/ec2.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { applyFilters } from "../filters.js";
import { REGIONS, regionInfo } from "./regions.js";

export class RegionsModule {
  constructor(readonly cloud: Cloud) {}

  DescribeRegions(input: DescribeRegionsRequest, _ctx: CallContext): DescribeRegionsResult {
    let regions = REGIONS.filter((r) => input.AllRegions || r.optIn === "opt-in-not-required" || input.RegionNames?.includes(r.name));
    if (input.RegionNames?.length) {
      const unknown = input.RegionNames.filter((name) => !REGIONS.some((r) => r.name === name));
      if (unknown.length) throw Ec2Errors.invalidParameterValue(`Invalid region: ${unknown[0]}`);
      regions = regions.filter((r) => input.RegionNames!.includes(r.name));
    }
    const shaped: Region[] = regions.map((r) => ({ Endpoint: `ec2.${r.name}.amazonaws.com`, RegionName: r.name, OptInStatus: r.optIn }));
    return {
      Regions: applyFilters(shaped, input.Filters, {
        fields: {
          endpoint: (r) => r.Endpoint,
          "region-name": (r) => r.RegionName,
          "opt-in-status": (r) => r.OptInStatus,
        },
      }),
    };
  }

  DescribeAvailabilityZones(input: DescribeAvailabilityZonesRequest, ctx: CallContext): DescribeAvailabilityZonesResult {
    const region = regionInfo(ctx.region);
    let zones: AvailabilityZone[] = region.zones.map((z) => ({
      State: "available",
      OptInStatus: "opt-in-not-required",
      Messages: [],
      RegionName: region.name,
      ZoneName: z.name,
      ZoneId: z.id,
      GroupName: `${region.name}-zg-1`,
      GroupLongName: `${region.longName} 1`,
      NetworkBorderGroup: region.name,
      ZoneType: "availability-zone",
    }));
    if (input.ZoneNames?.length) {
      const unknown = input.ZoneNames.filter((n) => !zones.some((z) => z.ZoneName === n));
      if (unknown.length) throw Ec2Errors.invalidParameterValue(`Invalid availability zone: [${unknown.join(", ")}]`);
      zones = zones.filter((z) => input.ZoneNames!.includes(z.ZoneName!));
    }
    if (input.ZoneIds?.length) {
      const unknown = input.ZoneIds.filter((id) => !zones.some((z) => z.ZoneId === id));
      if (unknown.length) throw Ec2Errors.invalidParameterValue(`Invalid availability zone: [${unknown.join(", ")}]`);
      zones = zones.filter((z) => input.ZoneIds!.includes(z.ZoneId!));
    }
    return {
      AvailabilityZones: applyFilters(zones, input.Filters, {
        fields: {
          "group-name": (z) => z.GroupName,
          "group-long-name": (z) => z.GroupLongName,
          message: (z) => (z.Messages ?? []).map((m) => m.Message),
          "opt-in-status": (z) => z.OptInStatus,
          "region-name": (z) => z.RegionName,
          state: (z) => z.State,
          "zone-id": (z) => z.ZoneId,
          "zone-name": (z) => z.ZoneName,
          "zone-type": (z) => z.ZoneType,
          "network-border-group": (z) => z.NetworkBorderGroup,
          "parent-zone-id": (z) => z.ParentZoneId,
          "parent-zone-name": (z) => z.ParentZoneName,
        },
      }),
    };
  }
}
