/**
 * Capacity pools, shared by Spot Fleet (fleet.ts) and EC2 Fleet
 * (ec2-fleet.ts). A launch option — a launch specification, or a launch
 * template with one override — in one Availability Zone is a pool. Its spot
 * price comes from the price model; its spare capacity is a deterministic
 * per-pool figure, smaller for bigger types.
 *
 * Spot allocation strategies (EC2 Fleet's names; Spot Fleet's camelCase ones
 * map onto them):
 *  - lowest-price: the InstancePoolsToUseCount cheapest pools per unit, in turn;
 *  - diversified: every eligible pool priced below on-demand, cheapest first, in turn;
 *  - capacity-optimized: the pool with the most spare capacity;
 *  - capacity-optimized-prioritized: among the better-capacity half, the
 *    highest priority (lowest Priority number), then the most capacity;
 *  - price-capacity-optimized: the cheapest of the better-capacity half.
 * A pool is eligible when its spot price is within the option's maximum (per
 * unit × weight; the on-demand price by default). On-demand capacity goes to
 * the cheapest option per unit (lowest-price) or by Priority (prioritized).
 * Scaling down terminates the dearest units first (lowest-price,
 * price-capacity-optimized), those in the pools with the least capacity
 * (capacity-optimized*), or from the fullest pool (diversified).
 */
import type { ActiveInstance, RunInstancesRequest, Tag } from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { typeShape } from "../instance-types/catalog.js";
import type { InstancesModule } from "../instances/module.js";
import { paginate, type PageRequest } from "../pagination.js";
import { STATUS, type SpotModule } from "./module.js";
import { EPOCH_MS, onDemandPrice, spotPriceAt, unit } from "./prices.js";

export type SpotStrategy = "lowest-price" | "diversified" | "capacity-optimized" | "capacity-optimized-prioritized" | "price-capacity-optimized";
export type OnDemandStrategy = "lowest-price" | "prioritized";

/** Spot Fleet's strategy names as EC2 Fleet's. */
export function spotStrategy(name: string | undefined): SpotStrategy {
  const byName: Record<string, SpotStrategy> = {
    lowestPrice: "lowest-price",
    diversified: "diversified",
    capacityOptimized: "capacity-optimized",
    capacityOptimizedPrioritized: "capacity-optimized-prioritized",
    priceCapacityOptimized: "price-capacity-optimized",
  };
  return byName[name ?? ""] ?? ((name as SpotStrategy | undefined) || "lowest-price");
}

/** One way a fleet can launch an instance. */
export interface LaunchOption {
  /** Its position among the fleet's options (orders pools; keys them). */
  index: number;
  /** RunInstances for one instance: at most one subnet or zone. */
  launch: RunInstancesRequest;
  /** Units of target capacity an instance counts for. */
  weight: number;
  /** The highest spot price per unit hour; undefined: the on-demand price. */
  maxPricePerUnit?: number;
  /** Lower first; undefined last. */
  priority?: number;
  /** Tags the instances get beyond their launch's (Spot Fleet specifications' own). */
  tags?: Tag[];
}

export interface Pool<O extends LaunchOption = LaunchOption> {
  option: O;
  /** The option's launch, placed in the pool's zone unless a subnet does that. */
  launch: RunInstancesRequest;
  type: string;
  zone: string;
  weight: number;
  spotPrice: number;
  onDemandPrice: number;
  /** The highest spot price per instance hour. */
  maxPrice: number;
  capacity: number;
  key: string;
}

/** Every pool of the options, with its prices now. */
export function poolsOf<O extends LaunchOption>(spot: SpotModule, scope: Scope, options: readonly O[], now: number): Array<Pool<O>> {
  const out: Array<Pool<O>> = [];
  for (const option of options) {
    const type = option.launch.InstanceType!;
    const od = onDemandPrice(type, scope.region) ?? 0;
    const maxPrice = option.maxPricePerUnit !== undefined ? option.maxPricePerUnit * option.weight : od;
    const placed = Boolean(option.launch.SubnetId || option.launch.NetworkInterfaces?.some((n) => n.SubnetId));
    for (const zone of spot.candidateZones(scope, option.launch)) {
      out.push({
        option,
        launch: placed ? option.launch : { ...option.launch, Placement: { ...option.launch.Placement, AvailabilityZone: zone } },
        type,
        zone,
        weight: option.weight,
        spotPrice: spotPriceAt({ type, zone, product: "Linux/UNIX" }, scope.region, now).price,
        onDemandPrice: od,
        maxPrice,
        capacity: poolCapacity(type, zone),
        key: `${String(option.index).padStart(3, "0")}/${zone}`,
      });
    }
  }
  return out;
}

/** A pool's spare spot capacity (a deterministic figure; bigger types have less). */
export function poolCapacity(type: string, zone: string): number {
  return unit(`capacity/${type}/${zone}`) / Math.pow(typeShape(type).vcpus, 0.3);
}

const byKey = (a: Pool, b: Pool) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const bySpotPrice = (a: Pool, b: Pool) => a.spotPrice / a.weight - b.spotPrice / b.weight || byKey(a, b);
const byCapacity = (a: Pool, b: Pool) => b.capacity - a.capacity || byKey(a, b);
const byPriority = (a: Pool, b: Pool) => (a.option.priority ?? Infinity) - (b.option.priority ?? Infinity);

/** The pools spot instances go to, in the order they are used; none when no pool is within its maximum price. */
export function chooseSpotPools<P extends Pool>(pools: P[], strategy: SpotStrategy, poolsToUse = 1): P[] {
  const eligible = pools.filter((p) => p.spotPrice <= p.maxPrice);
  const betterHalf = () => [...eligible].sort(byCapacity).slice(0, Math.max(1, Math.ceil(eligible.length / 2)));
  if (!eligible.length) return [];
  switch (strategy) {
    case "diversified":
      return eligible.filter((p) => p.spotPrice < p.onDemandPrice).sort(bySpotPrice);
    case "capacity-optimized":
      return [...eligible].sort(byCapacity).slice(0, 1);
    case "capacity-optimized-prioritized":
      return betterHalf()
        .sort((a, b) => byPriority(a, b) || byCapacity(a, b))
        .slice(0, 1);
    case "price-capacity-optimized":
      return betterHalf().sort(bySpotPrice).slice(0, 1);
    default:
      return [...eligible].sort(bySpotPrice).slice(0, Math.max(1, poolsToUse));
  }
}

/** The pools on-demand instances go to, in order of preference. */
export function orderOnDemandPools<P extends Pool>(pools: P[], strategy: OnDemandStrategy): P[] {
  const byPrice = (a: Pool, b: Pool) => a.onDemandPrice / a.weight - b.onDemandPrice / b.weight || byKey(a, b);
  return [...pools].sort(strategy === "prioritized" ? (a, b) => byPriority(a, b) || byPrice(a, b) : byPrice);
}

/**
 * The pools of the instances to launch, one entry each, until `missing`
 * units are covered (the last may overshoot by less than its weight):
 * spread across the pools in turn, or all in the first. A budget (an hourly
 * amount) stops the plan before the instance that would exceed it.
 */
export function planLaunches<P extends Pool>(order: P[], missing: number, options: { spread: boolean; budget?: { left: number; price: (pool: P) => number } }): P[] {
  const picks: P[] = [];
  let covered = 0;
  let left = options.budget?.left ?? Infinity;
  for (let turn = 0; order.length && covered < missing; turn++) {
    const pool = options.spread ? order[turn % order.length] : order[0];
    const price = options.budget?.price(pool) ?? 0;
    if (price > left + 1e-9) break;
    left -= price;
    picks.push(pool);
    covered += pool.weight;
  }
  return picks;
}

/** What scaling down needs to know of a member. */
export interface MemberFacts {
  weight: number;
  pool: string;
  pricePerUnit: number;
  capacity: number;
}

/**
 * The members to terminate to come down to `target` (never below it), in
 * the order the strategy gives them up; newer before older on ties.
 */
export function excessMembers<M>(members: readonly M[], fulfilled: number, target: number, strategy: SpotStrategy, facts: (member: M) => MemberFacts): M[] {
  const known = members.map((member, age) => ({ member, age, ...facts(member) }));
  type Known = (typeof known)[number];
  let order: Known[];
  if (strategy === "diversified") {
    // From the fullest pool each time.
    const left = new Map<string, Known[]>();
    for (const k of [...known].reverse()) left.set(k.pool, [...(left.get(k.pool) ?? []), k]);
    order = [];
    while (left.size) {
      const [pool, list] = [...left].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))[0];
      order.push(list.shift()!);
      if (!list.length) left.delete(pool);
    }
  } else if (strategy === "capacity-optimized" || strategy === "capacity-optimized-prioritized") {
    order = [...known].sort((a, b) => a.capacity - b.capacity || b.age - a.age);
  } else {
    order = [...known].sort((a, b) => b.pricePerUnit - a.pricePerUnit || b.age - a.age);
  }
  const out: M[] = [];
  for (const k of order) {
    if (fulfilled - k.weight < target) continue;
    out.push(k.member);
    fulfilled -= k.weight;
  }
  return out;
}

/** A launch with tags that can't come through TagSpecifications (aws:-prefixed ones EC2 adds). */
export function withSystemTags(launch: RunInstancesRequest, tags: readonly Tag[]): RunInstancesRequest {
  const own = (launch as { _systemTags?: Tag[] })._systemTags ?? [];
  const merged = [...own.filter((t) => !tags.some((n) => n.Key === t.Key)), ...tags];
  return { ...launch, MinCount: 1, MaxCount: 1, _systemTags: merged } as RunInstancesRequest;
}

/**
 * A fleet's spot instance: a spot request that the fleet owns (the spot
 * module leaves its evaluation to the fleet), fulfilled at once by an
 * instance of the pool. The request goes if the launch fails.
 */
export function launchSpotInstance(
  deps: { spot: SpotModule; instances: InstancesModule },
  scope: Scope,
  pool: Pool,
  options: { fleetId: string; tags: Tag[]; type?: "one-time" | "persistent"; behavior?: "terminate" | "stop" | "hibernate"; validUntil?: Date },
): { instanceId: string; requestId: string } {
  const launch = withSystemTags(pool.launch, [...(pool.option.tags ?? []), ...options.tags]);
  const request = deps.spot.newRequest(scope, {
    launch,
    maxPrice: pool.maxPrice,
    type: options.type ?? "one-time",
    behavior: options.behavior ?? "terminate",
    tags: [],
    validUntil: options.validUntil,
    fleetId: options.fleetId,
  });
  const requestId = request.SpotInstanceRequestId!;
  let instanceId: string;
  try {
    instanceId = deps.instances.launch(scope, launch, { lifecycle: "spot", spotInstanceRequestId: requestId }).Instances![0].InstanceId!;
  } catch (error) {
    deps.spot.requests(scope).delete(requestId);
    throw error;
  }
  deps.spot.markFulfilled(scope, requestId, deps.instances.instances(scope).get(instanceId)!);
  return { instanceId, requestId };
}

/** A fleet's spot request given up with the fleet: cancelled, its instance left running (or terminated by the caller). */
export function cancelFleetRequest(spot: SpotModule, scope: Scope, requestId: string): void {
  spot.requests(scope).update(requestId, (r) => {
    r.State = "cancelled";
    r.Status = spot.status(STATUS.canceledRunning);
  });
}

/** When the spot price of one of the options' pools next changes. */
export function nextPoolPriceChange(spot: SpotModule, scope: Scope, options: readonly LaunchOption[], now: number): number {
  let next = now + EPOCH_MS;
  for (const option of options) next = Math.min(next, spot.nextPriceChange(scope, option.launch));
  return next;
}

/** Whether a fleet member's instance counts toward the fleet's capacity: it runs or could (pending, running, stopping, stopped). */
export function counts(instances: InstancesModule, scope: Scope, instanceId: string): boolean {
  const state = instances.find(scope, instanceId)?.State?.Name;
  return state === "pending" || state === "running" || state === "stopping" || state === "stopped";
}

/** A page of a fleet's active instances (DescribeSpotFleetInstances, DescribeFleetInstances). */
export function activeInstances(members: ReadonlyArray<{ instanceId: string; type: string; requestId?: string }>, input: PageRequest): { ActiveInstances: ActiveInstance[]; NextToken?: string } {
  const page = paginate([...members], input, { min: 1, max: 1000 }, (m) => m.instanceId);
  return {
    ActiveInstances: page.items.map((m) => ({ InstanceId: m.instanceId, InstanceType: m.type, SpotInstanceRequestId: m.requestId, InstanceHealth: "healthy" })),
    NextToken: page.nextToken,
  };
}
