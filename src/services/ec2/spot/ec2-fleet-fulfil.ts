/**
 * One evaluation of an EC2 Fleet: the on-demand and the spot parts of its
 * target, each filled from its pools by its allocation strategy (pools.ts,
 * shared with Spot Fleet) within MaxTotalPrice (the hourly price of what
 * runs plus what is launched), SingleInstanceType / SingleAvailabilityZone
 * and MinTargetCapacity (nothing is launched for a part that can't reach
 * it), and — for a maintain fleet whose ExcessCapacityTerminationPolicy is
 * termination — its excess given up as the strategy says. A pool whose
 * launch fails is dropped and the rest of the part planned again without it.
 */
import type { CreateFleetError, FleetActivityStatus } from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import type { InstancesModule } from "../instances/module.js";
import { splitTarget, type FleetOption } from "./ec2-fleet-config.js";
import type { FleetEvent, FleetMember, FleetRecord } from "./ec2-fleet-records.js";
import type { SpotModule } from "./module.js";
import {
  chooseSpotPools,
  excessMembers,
  launchSpotInstance,
  orderOnDemandPools,
  planLaunches,
  poolCapacity,
  poolsOf,
  spotStrategy,
  withSystemTags,
  type Pool,
} from "./pools.js";
import { onDemandPrice, spotPriceAt } from "./prices.js";

export const FLEET_TAG = "aws:ec2:fleet-id";

export interface Fulfilment {
  launched: FleetMember[];
  /** Members to terminate (the fleet's excess). */
  excess: FleetMember[];
  errors: CreateFleetError[];
  events: FleetEvent[];
  activity: FleetActivityStatus;
  /** Short of target because of the spot price: worth another look at the next price change. */
  priceBound: boolean;
}

type Lifecycle = FleetMember["lifecycle"];
/** What SpotOptions and OnDemandOptions have in common. */
type PartOptions = { AllocationStrategy?: string; InstancePoolsToUseCount?: number; SingleInstanceType?: boolean; SingleAvailabilityZone?: boolean; MinTargetCapacity?: number; MaxTotalPrice?: string };

export class FleetFulfiller {
  constructor(private readonly deps: { spot: SpotModule; instances: InstancesModule }) {}

  run(scope: Scope, fleet: FleetRecord, live: readonly FleetMember[], now: number): Fulfilment {
    const spec = fleet.TargetCapacitySpecification!;
    const target = splitTarget(spec.TotalTargetCapacity!, fleet._requested, spec.DefaultTargetCapacityType);
    const pools = poolsOf(this.deps.spot, scope, fleet._options, now);
    const out: Fulfilment = { launched: [], excess: [], errors: [], events: [], activity: "fulfilled", priceBound: false };
    const short = [this.part(scope, fleet, "on-demand", target.onDemand, live, pools, now, out), this.part(scope, fleet, "spot", target.spot, live, pools, now, out)];
    // An instant fleet that fell short errs; an asynchronous one short only of price waits for it.
    const failed = out.errors.some((e) => e.ErrorCode !== "SpotMaxPriceTooLow");
    if ((failed || (fleet.Type === "instant" && out.errors.length)) && short.some(Boolean)) out.activity = "error";
    else if (short.some(Boolean)) out.activity = "pending_fulfillment";
    else if (out.excess.length) out.activity = "pending_termination";
    return out;
  }

  /** Fills (or trims) one part; true when it stays short of its target. */
  private part(scope: Scope, fleet: FleetRecord, lifecycle: Lifecycle, target: number, live: readonly FleetMember[], all: Array<Pool<FleetOption>>, now: number, out: Fulfilment): boolean {
    const mine = live.filter((m) => m.lifecycle === lifecycle);
    let have = mine.reduce((n, m) => n + m.weight, 0);
    const options: PartOptions = (lifecycle === "spot" ? fleet.SpotOptions : fleet.OnDemandOptions) ?? {};
    if (have > target) {
      if (fleet.Type === "maintain" && fleet.ExcessCapacityTerminationPolicy !== "no-termination") this.trim(scope, lifecycle, options, mine, have, target, now, out);
      return false;
    }
    if (have >= target) return false;
    let order =
      lifecycle === "spot"
        ? chooseSpotPools(all, spotStrategy(options.AllocationStrategy), options.InstancePoolsToUseCount ?? 1)
        : orderOnDemandPools(all, options.AllocationStrategy === "prioritized" ? "prioritized" : "lowest-price");
    if (!order.length) {
      if (lifecycle === "spot") this.priceTooLow(fleet, all, out);
      return true;
    }
    if (options.SingleAvailabilityZone) order = order.filter((p) => p.zone === order[0].zone);
    if (options.SingleInstanceType) order = order.filter((p) => p.type === order[0].type);
    const priceOf = (pool: Pool) => (lifecycle === "spot" ? pool.spotPrice : pool.onDemandPrice);
    const maxTotal = options.MaxTotalPrice !== undefined ? Number(options.MaxTotalPrice) : undefined;
    let spend = mine.reduce((n, m) => n + this.hourlyPrice(scope, m, now), 0);
    for (let round = 0; order.length && have < target; round++) {
      const budget = maxTotal !== undefined ? { left: maxTotal - spend, price: priceOf } : undefined;
      const picks = planLaunches(order, target - have, { spread: lifecycle === "spot", budget });
      if (!picks.length) break;
      const reach = have + picks.reduce((n, p) => n + p.weight, 0);
      if (round === 0 && options.MinTargetCapacity && reach < options.MinTargetCapacity) {
        out.errors.push(this.error(picks[0], lifecycle, "UnfulfillableCapacity", "Unable to fulfill capacity due to your request configuration. Please adjust your request and try again."));
        return true;
      }
      let failed: Pool | undefined;
      for (const pool of picks) {
        try {
          const member = this.launch(scope, fleet, pool, lifecycle);
          out.launched.push(member);
          out.events.push({ type: "instance-change", subType: "launched", instanceId: member.instanceId, description: launchDescription(pool) });
          have += member.weight;
          spend += priceOf(pool);
        } catch (error) {
          const e = error as { code?: string; message?: string };
          out.errors.push(this.error(pool, lifecycle, e.code ?? "InternalError", e.message ?? String(error)));
          out.events.push({ type: "service-error", subType: "launchSpecTemporarilyBlacklisted", description: `${pool.type}, ${pool.launch.ImageId}, Linux/UNIX, ${pool.zone}: ${e.message ?? error}` });
          failed = pool;
          break;
        }
      }
      if (!failed) break;
      order = order.filter((p) => p !== failed);
    }
    return have < target;
  }

  /** No spot pool within its maximum price: an error per option, as instant fleets report, and the events EC2 records. */
  private priceTooLow(fleet: FleetRecord, pools: Array<Pool<FleetOption>>, out: Fulfilment): void {
    out.priceBound = true;
    const cheapest = new Map<number, Pool<FleetOption>>();
    for (const pool of pools) {
      const best = cheapest.get(pool.option.index);
      if (!best || pool.spotPrice < best.spotPrice) cheapest.set(pool.option.index, pool);
    }
    for (const pool of cheapest.values()) {
      const message = `Your Spot request price of ${trim(pool.maxPrice)} is lower than the minimum required Spot request fulfillment price of ${trim(pool.spotPrice)}.`;
      out.errors.push(this.error(pool, "spot", "SpotMaxPriceTooLow", message));
      out.events.push({ type: "service-error", subType: "launchSpecUnusable", description: `${pool.type}, ${pool.launch.ImageId}, Linux/UNIX, ${pool.zone}, Spot bid price is less than Spot market price $${trim(pool.spotPrice)}` });
    }
    if (fleet.Type !== "instant") out.events.push({ type: "service-error", subType: "fleetProgressHalted", description: "The price in every launch specification is below the Spot price." });
  }

  private trim(scope: Scope, lifecycle: Lifecycle, options: PartOptions, mine: FleetMember[], have: number, target: number, now: number, out: Fulfilment): void {
    const strategy = lifecycle === "spot" ? spotStrategy(options.AllocationStrategy) : "lowest-price";
    const facts = (m: FleetMember) => ({ weight: m.weight, pool: `${m.type}/${m.zone}`, pricePerUnit: this.hourlyPrice(scope, m, now) / m.weight, capacity: poolCapacity(m.type, m.zone) });
    for (const member of excessMembers(mine, have, target, strategy, facts)) {
      out.excess.push(member);
      if (lifecycle === "spot") out.events.push({ type: "instance-change", subType: "termination_notified", instanceId: member.instanceId, description: "The target capacity of the fleet was decreased." });
    }
  }

  private hourlyPrice(scope: Scope, member: FleetMember, now: number): number {
    if (member.lifecycle === "on-demand") return onDemandPrice(member.type, scope.region) ?? 0;
    return spotPriceAt({ type: member.type, zone: member.zone, product: "Linux/UNIX" }, scope.region, now).price;
  }

  private launch(scope: Scope, fleet: FleetRecord, pool: Pool<FleetOption>, lifecycle: Lifecycle): FleetMember {
    const tags = [{ Key: FLEET_TAG, Value: fleet.FleetId! }];
    const base = { lifecycle, weight: pool.weight, type: pool.type, zone: pool.zone, option: pool.option.index };
    if (lifecycle === "on-demand") {
      const reservation = this.deps.instances.launch(scope, withSystemTags(pool.launch, tags), {});
      return { ...base, instanceId: reservation.Instances![0].InstanceId! };
    }
    const behavior = fleet.SpotOptions?.InstanceInterruptionBehavior ?? "terminate";
    const launched = launchSpotInstance(this.deps, scope, pool, {
      fleetId: fleet.FleetId!,
      tags,
      // A maintained fleet's instances that stop on interruption come back: their requests persist.
      type: behavior === "terminate" ? "one-time" : "persistent",
      behavior,
      validUntil: fleet.ValidUntil,
    });
    return { ...base, instanceId: launched.instanceId, requestId: launched.requestId };
  }

  private error(pool: Pool<FleetOption>, lifecycle: Lifecycle, code: string, message: string): CreateFleetError {
    const source = pool.option.source;
    const overrides = { ...source.Overrides, AvailabilityZone: source.Overrides?.SubnetId ? undefined : pool.zone };
    return { LaunchTemplateAndOverrides: { ...source, Overrides: overrides }, Lifecycle: lifecycle, ErrorCode: code, ErrorMessage: message };
  }
}

/** The launched event's description, as EC2 Fleet writes it. */
function launchDescription(pool: Pool): string {
  return JSON.stringify({ instanceType: pool.type, image: pool.launch.ImageId, productDescription: "Linux/UNIX", availabilityZone: pool.zone });
}

function trim(price: number): string {
  return String(Math.round(price * 1e6) / 1e6);
}
