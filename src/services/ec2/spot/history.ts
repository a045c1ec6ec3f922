/**
 * DescribeSpotPriceHistory: every price change of every matching series
 * (type × zone × product) between StartTime and EndTime, plus the price in
 * effect at StartTime, newest first. Series are walked lazily and merged, so
 * a page of 1000 records costs the same whether one type or all are asked.
 */
import type { DescribeSpotPriceHistoryRequest, DescribeSpotPriceHistoryResult, SpotPrice } from "../../../generated/ec2.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters } from "../filters.js";
import { INSTANCE_TYPES, instanceType } from "../instance-types/catalog.js";
import { offeredInZone } from "../instance-types/offerings.js";
import { decodeToken, encodeToken } from "../pagination.js";
import { regionInfo } from "../regions/regions.js";
import { EPOCH_MS, PRODUCT_DESCRIPTIONS, epochStart, formatPrice, isProductDescription, priceAtEpoch, type SeriesKey } from "./prices.js";

const HISTORY_MS = 90 * 86_400_000;
const SERIES_FILTERS = new Set(["availability-zone", "instance-type", "product-description"]);

interface Cursor {
  series: SeriesKey & { zoneId: string; key: string };
  /** The epoch start to emit next. */
  time: number;
  /** The oldest epoch start to emit (the one in effect at StartTime). */
  floor: number;
}

export function spotPriceHistory(region: string, now: number, input: DescribeSpotPriceHistoryRequest): DescribeSpotPriceHistoryResult {
  const info = regionInfo(region);
  const end = Math.min(input.EndTime?.getTime() ?? now, now);
  const start = Math.max(input.StartTime?.getTime() ?? end - HISTORY_MS, now - HISTORY_MS);
  if (input.StartTime && input.EndTime && input.StartTime.getTime() > input.EndTime.getTime()) {
    throw Ec2Errors.invalidParameterValue("The start time must be before the end time.");
  }
  const max = input.MaxResults ?? 1000;
  if (input.MaxResults !== undefined && (max < 1 || max > 10000)) throw Ec2Errors.maxResultsTooSmall(max, 1);

  for (const type of input.InstanceTypes ?? []) if (!instanceType(type)) throw Ec2Errors.invalidValueFor(type, "InstanceType");
  for (const product of input.ProductDescriptions ?? []) {
    if (!isProductDescription(product)) throw Ec2Errors.invalidParameterValue(`Invalid product description '${product}'`);
  }
  let zones = info.zones;
  if (input.AvailabilityZone) {
    zones = zones.filter((z) => z.name === input.AvailabilityZone);
    if (!zones.length) throw Ec2Errors.invalidParameterValue(`Invalid availability zone: [${input.AvailabilityZone}]`);
  }
  if (input.AvailabilityZoneId) {
    zones = zones.filter((z) => z.id === input.AvailabilityZoneId);
    if (!zones.length) throw Ec2Errors.invalidParameterValue(`Invalid availability zone: [${input.AvailabilityZoneId}]`);
  }
  const seriesFilters = (input.Filters ?? []).filter((f) => SERIES_FILTERS.has(f.Name ?? ""));
  const recordFilters = (input.Filters ?? []).filter((f) => !SERIES_FILTERS.has(f.Name ?? ""));
  const seriesPredicate = compileFilters<SpotPrice>(seriesFilters, {
    fields: {
      "availability-zone": (p) => p.AvailabilityZone,
      "instance-type": (p) => p.InstanceType,
      "product-description": (p) => p.ProductDescription,
    },
  });
  const recordPredicate = compileFilters<SpotPrice>(recordFilters, {
    fields: { "spot-price": (p) => p.SpotPrice, timestamp: (p) => p.Timestamp },
  });

  const types = input.InstanceTypes?.length ? input.InstanceTypes : INSTANCE_TYPES.map((t) => t.InstanceType!);
  const products = input.ProductDescriptions?.length ? input.ProductDescriptions : [...PRODUCT_DESCRIPTIONS];
  let resume: { time: number; key: string } | undefined;
  if (input.NextToken) {
    const [time, key] = decodeToken(input.NextToken).split("|");
    resume = { time: Number(time), key };
    if (!Number.isFinite(resume.time)) throw Ec2Errors.invalidNextToken(input.NextToken);
  }

  const heap: Cursor[] = [];
  for (const type of types) {
    for (const zone of zones) {
      if (!offeredInZone(region, zone, type)) continue;
      for (const product of products) {
        const candidate: SpotPrice = { AvailabilityZone: zone.name, InstanceType: type, ProductDescription: product as SpotPrice["ProductDescription"] };
        if (!seriesPredicate(candidate)) continue;
        const series = { type, zone: zone.name, zoneId: zone.id, product, key: `${type}\u0000${zone.name}\u0000${product}` };
        const floor = epochStart(series, start);
        let time = epochStart(series, end);
        if (resume) {
          // Continue strictly after the cursor in (time desc, key asc) order.
          if (time > resume.time) time = epochStart(series, resume.time);
          if (time === resume.time && series.key <= resume.key) time -= EPOCH_MS;
        }
        if (time >= floor) push(heap, { series, time, floor });
      }
    }
  }

  const out: SpotPrice[] = [];
  let last: Cursor | undefined;
  while (heap.length && out.length < max) {
    const cursor = pop(heap);
    const record: SpotPrice = {
      AvailabilityZone: cursor.series.zone,
      AvailabilityZoneId: cursor.series.zoneId,
      InstanceType: cursor.series.type as SpotPrice["InstanceType"],
      ProductDescription: cursor.series.product as SpotPrice["ProductDescription"],
      SpotPrice: formatPrice(priceAtEpoch(cursor.series, region, cursor.time)),
      Timestamp: new Date(cursor.time),
    };
    last = { ...cursor };
    if (recordPredicate(record)) out.push(record);
    cursor.time -= EPOCH_MS;
    if (cursor.time >= cursor.floor) push(heap, cursor);
  }
  const nextToken = heap.length && last ? encodeToken(`${last.time}|${last.series.key}`) : undefined;
  return { SpotPriceHistory: out, NextToken: nextToken };
}

/** Heap order: newest first, then series key ascending. */
function before(a: Cursor, b: Cursor): boolean {
  return a.time > b.time || (a.time === b.time && a.series.key < b.series.key);
}

function push(heap: Cursor[], item: Cursor): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i], heap[parent])) break;
    [heap[i], heap[parent]] = [heap[parent], heap[i]];
    i = parent;
  }
}

function pop(heap: Cursor[]): Cursor {
  const top = heap[0];
  const last = heap.pop()!;
  if (heap.length) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && before(heap[l], heap[best])) best = l;
      if (r < heap.length && before(heap[r], heap[best])) best = r;
      if (best === i) break;
      [heap[i], heap[best]] = [heap[best], heap[i]];
      i = best;
    }
  }
  return top;
}
