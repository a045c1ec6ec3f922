/**
 * EC2 Fleet: CreateFleet, DescribeFleets, DescribeFleetInstances,
 * DescribeFleetHistory, ModifyFleet, DeleteFleets.
 *
 * A fleet is a target capacity split into on-demand and spot parts, filled
 * from launch template configurations (ec2-fleet-config.ts) by allocation
 * strategies shared with Spot Fleet (pools.ts, ec2-fleet-fulfil.ts). Spot
 * capacity is real spot instances: spot requests the fleet owns, priced by
 * the price model and interrupted when the price passes their maximum.
 * Every instance carries the aws:ec2:fleet-id tag.
 *
 *  - instant: launched during the call, which answers Instances and Errors;
 *    the fleet stays active, not listed by DescribeFleets without its id,
 *    and goes two days after its last instance.
 *  - request: launched once (a spot part whose price is too high waits for
 *    the next price change); nothing is replaced.
 *  - maintain: instances that go are replaced (a second later), and spot
 *    capacity short for price is tried again at each price change.
 * ValidFrom delays the first launch; at ValidUntil the fleet expires
 * (TerminateInstancesWithExpiration terminates its instances). Deleted
 * fleets stay visible for two days, as in EC2.
 */
import { crypto } from "../../../core/crypto.js";
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import type {
  CreateFleetRequest,
  CreateFleetResult,
  DeleteFleetsRequest,
  DeleteFleetsResult,
  DescribeFleetHistoryRequest,
  DescribeFleetHistoryResult,
  DescribeFleetInstancesRequest,
  DescribeFleetInstancesResult,
  DescribeFleetsRequest,
  DescribeFleetsResult,
  FleetData,
  FleetStateCode,
  InstanceStateName,
  ModifyFleetRequest,
  ModifyFleetResult,
  ResourceType,
  TargetCapacitySpecification,
  TargetCapacitySpecificationRequest,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters } from "../filters.js";
import { ClientTokens } from "../idempotency.js";
import type { InstancesModule } from "../instances/module.js";
import { checkIdShape, requireIds } from "../lookup.js";
import { scopeOf } from "../network/module.js";
import { paginate } from "../pagination.js";
import type { Ec2State, InstanceRecord } from "../state.js";
import { tagsBySpecification } from "../tags.js";
import type { LaunchTemplatesModule } from "../templates/module.js";
import { FLEET_ID, checkCreateFleet, checkTargetCapacity, resolveConfigs, splitTarget } from "./ec2-fleet-config.js";
import { FLEET_TAG, FleetFulfiller, type Fulfilment } from "./ec2-fleet-fulfil.js";
import { GONE_AFTER_MS, appendHistory, filterFleets, fleetView, historyPage, isVisible, launchedView, type FleetEvent, type FleetMember, type FleetRecord } from "./ec2-fleet-records.js";
import type { SpotModule } from "./module.js";
import { activeInstances, cancelFleetRequest, counts, nextPoolPriceChange } from "./pools.js";

const JOB_EVALUATE = "ec2.fleet.evaluate";
const JOB_EXPIRE = "ec2.fleet.expire";
const WORKING: readonly FleetStateCode[] = ["submitted", "active", "modifying"];
const MAX_INSTANT_DELETIONS = 25;

export class Ec2FleetModule {
  private readonly clientTokens: ClientTokens;
  private readonly fulfiller: FleetFulfiller;

  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly instances: InstancesModule,
    private readonly spot: SpotModule,
    private readonly templates: LaunchTemplatesModule,
  ) {
    this.clientTokens = new ClientTokens(state);
    this.fulfiller = new FleetFulfiller({ spot, instances });
    state.registerTaggable({
      prefix: FLEET_ID.prefix,
      idPattern: FLEET_ID.pattern,
      resourceType: "fleet",
      collection: (scope) => this.fleets(scope),
      notFound: { code: FLEET_ID.notFoundCode, noun: FLEET_ID.noun },
      visible: (record, now) => isVisible(record as FleetRecord, now),
    });
    instances.addListener((scope, instance, previous, reason) => this.instanceChanged(scope, instance, previous, reason));
  }

  onStart(): void {
    this.cloud.scheduler.on(JOB_EVALUATE, (job: Job<{ id: string }>) => void this.evaluate({ account: job.account, region: job.region }, job.payload.id));
    this.cloud.scheduler.on(JOB_EXPIRE, (job: Job<{ id: string }>) => this.expire({ account: job.account, region: job.region }, job.payload.id));
  }

  fleets(scope: Scope): ScopedCollection<FleetRecord> {
    return this.state.collection<FleetRecord>("ec2-fleets", scope);
  }

  CreateFleet(input: CreateFleetRequest, ctx: CallContext): CreateFleetResult {
    const scope = scopeOf(ctx);
    const earlier = this.clientTokens.earlier(scope, "CreateFleet", input.ClientToken, input);
    const repeated = earlier && this.fleets(scope).get(earlier[0]);
    if (repeated) return created(repeated);
    const now = this.cloud.clock.now();
    const type = checkCreateFleet(input, now);
    const allowed: ResourceType[] = type === "instant" ? ["fleet", "instance", "volume", "network-interface"] : ["fleet"];
    const tags = tagsBySpecification(input.TagSpecifications, allowed);
    const launchTags = [...tags].filter(([t]) => t !== "fleet").map(([ResourceType, Tags]) => ({ ResourceType, Tags }));
    const spec = input.TargetCapacitySpecification!;
    const options = resolveConfigs(input.LaunchTemplateConfigs, {
      templates: this.templates,
      instances: this.instances,
      scope,
      type,
      unitType: spec.TargetCapacityUnitType ?? "units",
      launchTags: launchTags.length ? launchTags : undefined,
    });
    const spotOptions = input.SpotOptions ?? {};
    const strategy = spotOptions.AllocationStrategy ?? "lowest-price";
    const id = `fleet-${crypto().randomUUID()}`;
    const requested = { onDemand: spec.OnDemandTargetCapacity, spot: spec.SpotTargetCapacity };
    const record: FleetRecord = {
      FleetId: id,
      FleetState: "submitted",
      ActivityStatus: "pending_fulfillment",
      CreateTime: this.cloud.clock.date(),
      ClientToken: input.ClientToken,
      Context: input.Context,
      Type: type,
      LaunchTemplateConfigs: input.LaunchTemplateConfigs as FleetData["LaunchTemplateConfigs"],
      TargetCapacitySpecification: targetView(spec, requested),
      SpotOptions: {
        ...spotOptions,
        AllocationStrategy: strategy,
        InstanceInterruptionBehavior: spotOptions.InstanceInterruptionBehavior ?? "terminate",
        InstancePoolsToUseCount: strategy === "lowest-price" ? (spotOptions.InstancePoolsToUseCount ?? 1) : spotOptions.InstancePoolsToUseCount,
        MaintenanceStrategies: undefined,
      },
      OnDemandOptions: { ...input.OnDemandOptions, AllocationStrategy: input.OnDemandOptions?.AllocationStrategy ?? "lowest-price", CapacityReservationOptions: undefined },
      ExcessCapacityTerminationPolicy: input.ExcessCapacityTerminationPolicy ?? (type === "maintain" ? "termination" : undefined),
      TerminateInstancesWithExpiration: input.TerminateInstancesWithExpiration ?? false,
      ReplaceUnhealthyInstances: input.ReplaceUnhealthyInstances ?? false,
      ValidFrom: input.ValidFrom,
      ValidUntil: input.ValidUntil,
      FulfilledCapacity: 0,
      FulfilledOnDemandCapacity: 0,
      Tags: tags.get("fleet") ?? [],
      _options: options,
      _members: [],
      _history: [],
      _requested: requested,
    };
    appendHistory(record, [{ type: "fleet-change", subType: "submitted" }], now);
    this.fleets(scope).put(id, record);
    if (input.ValidUntil && type !== "instant") {
      this.cloud.scheduler.schedule({ kind: JOB_EXPIRE, due: input.ValidUntil.getTime(), key: this.jobKey(scope, id, "expire"), account: scope.account, region: scope.region, payload: { id } });
    }
    const result = this.evaluate(scope, id);
    if (type === "instant") {
      this.fleets(scope).update(id, (f) => {
        f.Instances = launchedView(f, result?.launched ?? []);
        f.Errors = result?.errors ?? [];
        if (!f.Instances.length) f._goneAt = now + GONE_AFTER_MS;
      });
    }
    this.clientTokens.remember(scope, "CreateFleet", input.ClientToken, input, [id]);
    return created(this.fleets(scope).get(id)!);
  }

  DescribeFleets(input: DescribeFleetsRequest, ctx: CallContext): DescribeFleetsResult {
    const scope = scopeOf(ctx);
    const now = this.cloud.clock.now();
    const ids = input.FleetIds ?? [];
    const visible = (r: FleetRecord) => isVisible(r, now);
    // Instant fleets appear only when asked for by id, as in EC2.
    const records = ids.length ? requireIds(this.fleets(scope), ids, FLEET_ID, visible) : this.fleets(scope).values().filter((r) => visible(r) && r.Type !== "instant");
    const page = paginate(filterFleets(records, input.Filters), input, { min: 1, max: 1000 }, (r) => `${r.CreateTime!.toISOString()}/${r.FleetId}`);
    return { Fleets: page.items.map(fleetView), NextToken: page.nextToken };
  }

  DescribeFleetInstances(input: DescribeFleetInstancesRequest, ctx: CallContext): DescribeFleetInstancesResult {
    const scope = scopeOf(ctx);
    const fleet = this.require(scope, input.FleetId);
    if (fleet.Type === "instant") {
      throw Ec2Errors.custom("Unsupported", `Fleet ${fleet.FleetId} is instant fleet. Describe fleet instances is not supported by this type of fleet`);
    }
    const predicate = compileFilters<FleetMember>(input.Filters, { fields: { "instance-type": (m) => m.type } });
    return { FleetId: fleet.FleetId, ...activeInstances(this.live(scope, fleet).filter(predicate), input) };
  }

  DescribeFleetHistory(input: DescribeFleetHistoryRequest, ctx: CallContext): DescribeFleetHistoryResult {
    const scope = scopeOf(ctx);
    return historyPage(this.require(scope, input.FleetId), input, this.cloud.clock.now());
  }

  ModifyFleet(input: ModifyFleetRequest, ctx: CallContext): ModifyFleetResult {
    const scope = scopeOf(ctx);
    const fleet = this.require(scope, input.FleetId);
    const id = fleet.FleetId!;
    if (fleet.Type !== "maintain") {
      throw Ec2Errors.custom("FleetNotInModifiableState", `Fleet ${id} is not a modifiable fleet request type: only fleets of type maintain can be modified.`);
    }
    const previous = fleet.FleetState!;
    if (!WORKING.includes(previous)) throw Ec2Errors.custom("FleetNotInModifiableState", `Fleet ${id} must be active to be modified; it is ${previous}.`);
    const spec = input.TargetCapacitySpecification;
    const policy = input.ExcessCapacityTerminationPolicy;
    if (!spec && !policy && !input.LaunchTemplateConfigs?.length) throw Ec2Errors.missingParameter("TargetCapacitySpecification");
    if (policy !== undefined && policy !== "termination" && policy !== "no-termination") throw Ec2Errors.invalidValueFor(policy, "ExcessCapacityTerminationPolicy");
    const current = fleet.TargetCapacitySpecification!;
    if (spec) {
      checkTargetCapacity(spec, "maintain", current.DefaultTargetCapacityType);
      if (spec.TargetCapacityUnitType && spec.TargetCapacityUnitType !== (current.TargetCapacityUnitType ?? "units")) {
        throw Ec2Errors.invalidParameterValue("The TargetCapacityUnitType of a fleet cannot be changed.");
      }
    }
    const options = input.LaunchTemplateConfigs?.length
      ? resolveConfigs(input.LaunchTemplateConfigs, { templates: this.templates, instances: this.instances, scope, type: "maintain", unitType: current.TargetCapacityUnitType ?? "units" })
      : undefined;
    const now = this.cloud.clock.now();
    this.fleets(scope).update(id, (f) => {
      f.FleetState = "modifying";
      if (policy) f.ExcessCapacityTerminationPolicy = policy;
      if (options) {
        f._options = options;
        f.LaunchTemplateConfigs = input.LaunchTemplateConfigs as FleetData["LaunchTemplateConfigs"];
      }
      if (spec) {
        f._requested = { onDemand: spec.OnDemandTargetCapacity ?? f._requested.onDemand, spot: spec.SpotTargetCapacity ?? f._requested.spot };
        f.TargetCapacitySpecification = targetView({ ...current, ...definedOf(spec) } as TargetCapacitySpecificationRequest, f._requested);
      }
      appendHistory(f, [{ type: "fleet-change", subType: "modify_in_progress" }], now);
    });
    this.evaluate(scope, id);
    this.fleets(scope).update(id, (f) => {
      if (f.FleetState === "modifying") f.FleetState = previous === "modifying" ? "active" : previous;
      appendHistory(f, [{ type: "fleet-change", subType: "modify_succeeded" }], now);
    });
    return { Return: true };
  }

  DeleteFleets(input: DeleteFleetsRequest, ctx: CallContext): DeleteFleetsResult {
    const scope = scopeOf(ctx);
    const ids = input.FleetIds ?? [];
    if (!ids.length) throw Ec2Errors.missingParameter("FleetIds");
    if (input.TerminateInstances === undefined || input.TerminateInstances === null) throw Ec2Errors.missingParameter("TerminateInstances");
    const terminate = input.TerminateInstances;
    const now = this.cloud.clock.now();
    const find = (id: string) => (FLEET_ID.pattern!.test(id) ? this.fleets(scope).get(id) : undefined);
    const found = (id: string) => {
      const fleet = find(id);
      return fleet && isVisible(fleet, now) ? fleet : undefined;
    };
    const tooManyInstant = ids.filter((id) => found(id)?.Type === "instant").length > MAX_INSTANT_DELETIONS;
    const success: NonNullable<DeleteFleetsResult["SuccessfulFleetDeletions"]> = [];
    const failure: NonNullable<DeleteFleetsResult["UnsuccessfulFleetDeletions"]> = [];
    const fail = (FleetId: string, Code: string, Message: string) => failure.push({ FleetId, Error: { Code: Code as never, Message } });
    for (const id of new Set(ids)) {
      const fleet = found(id);
      if (!FLEET_ID.pattern!.test(id)) fail(id, "fleetIdMalformed", `The fleet ID '${id}' is malformed.`);
      else if (!fleet) fail(id, "fleetIdDoesNotExist", `The fleet ID '${id}' does not exist.`);
      else if (fleet.Type === "instant" && tooManyInstant) fail(id, "ExceededInstantFleetNumForDeletion", `Can't delete more than ${MAX_INSTANT_DELETIONS} instant fleets in a single request.`);
      else if (fleet.Type === "instant" && !terminate) fail(id, "NoTerminateInstancesNotSupported", "NoTerminateInstances option is not supported for instant fleet");
      else if (!WORKING.includes(fleet.FleetState!) && !(fleet.FleetState === "deleted_running" && terminate)) {
        fail(id, "fleetNotInDeletableState", `The fleet '${id}' is not in a deletable state.`);
      } else {
        const previous = fleet.FleetState!;
        const current = this.finish(scope, fleet, terminate, [], "user");
        success.push({ FleetId: id, PreviousFleetState: previous, CurrentFleetState: current });
      }
    }
    return { SuccessfulFleetDeletions: success, UnsuccessfulFleetDeletions: failure };
  }

  // ---- Lifecycle ----

  /** One evaluation: launches what the fleet lacks, gives up its excess, and plans the next look. */
  private evaluate(scope: Scope, id: string): Fulfilment | undefined {
    const fleet = this.fleets(scope).get(id);
    if (!fleet || !WORKING.includes(fleet.FleetState!)) return undefined;
    const now = this.cloud.clock.now();
    if (fleet.ValidUntil && now >= fleet.ValidUntil.getTime()) return void this.expire(scope, id);
    if (fleet.ValidFrom && now < fleet.ValidFrom.getTime()) {
      this.scheduleEvaluation(scope, id, fleet.ValidFrom.getTime());
      return undefined;
    }
    const live = this.live(scope, fleet);
    const result = this.fulfiller.run(scope, fleet, live, now);
    const remaining = [...live, ...result.launched].filter((m) => !result.excess.includes(m));
    this.fleets(scope).update(id, (f) => {
      const events: FleetEvent[] = f.FleetState === "submitted" ? [{ type: "fleet-change", subType: "active" }] : [];
      if (f.FleetState !== "modifying") f.FleetState = "active";
      // Members whose instances are gone for good need no keeping (an instant fleet's list is its record of launches).
      if (f.Type !== "instant") f._members = f._members.filter((m) => !["terminated", undefined].includes(this.instances.find(scope, m.instanceId)?.State?.Name));
      f._members.push(...result.launched);
      f.ActivityStatus = result.activity;
      setFulfilled(f, remaining);
      appendHistory(f, [...events, ...result.events], now);
    });
    for (const member of result.excess) {
      const instance = this.instances.live(scope, member.instanceId);
      if (instance) this.instances.terminate(scope, instance, "system");
    }
    // Spot capacity short because of the price: look again when a pool's price changes (a maintained fleet keeps looking; a request fleet's requests stay open).
    if (result.priceBound && fleet.Type !== "instant") this.scheduleEvaluation(scope, id, nextPoolPriceChange(this.spot, scope, fleet._options, now));
    return result;
  }

  /** ValidUntil passed: the fleet stops, its instances terminated if TerminateInstancesWithExpiration. */
  private expire(scope: Scope, id: string): void {
    const fleet = this.fleets(scope).get(id);
    if (!fleet || !WORKING.includes(fleet.FleetState!) || !fleet.ValidUntil || this.cloud.clock.now() < fleet.ValidUntil.getTime()) return;
    this.finish(scope, fleet, Boolean(fleet.TerminateInstancesWithExpiration), [{ type: "fleet-change", subType: "expired" }], "system");
  }

  /** Deletion or expiry: no more launches, spot requests cancelled, instances terminated or left running. */
  private finish(scope: Scope, fleet: FleetRecord, terminate: boolean, events: FleetEvent[], reason: "user" | "system"): FleetStateCode {
    const id = fleet.FleetId!;
    const now = this.cloud.clock.now();
    const live = this.live(scope, fleet);
    const going = this.remaining(scope, fleet).length > 0;
    const next: FleetStateCode = !going ? "deleted" : terminate ? "deleted_terminating" : "deleted_running";
    this.fleets(scope).update(id, (f) => {
      f.FleetState = next;
      if (next === "deleted") f._goneAt = now + GONE_AFTER_MS;
      appendHistory(f, [...events, { type: "fleet-change", subType: next }], now);
    });
    this.cloud.scheduler.cancel(this.jobKey(scope, id, "evaluate"));
    this.cloud.scheduler.cancel(this.jobKey(scope, id, "expire"));
    for (const member of fleet._members) if (member.requestId && this.instances.live(scope, member.instanceId)) cancelFleetRequest(this.spot, scope, member.requestId);
    if (terminate) {
      for (const member of live) {
        const instance = this.instances.live(scope, member.instanceId);
        if (instance) this.instances.terminate(scope, instance, reason);
      }
    }
    return next;
  }

  /** A member's instance changed state: the fleet's capacity, history, replacement and end follow. */
  private instanceChanged(scope: Scope, instance: InstanceRecord, previous: InstanceStateName, reason: "user" | "system"): void {
    const id = instance.Tags?.find((t) => t.Key === FLEET_TAG)?.Value;
    const name = instance.State?.Name;
    if (!id || name === previous) return;
    const fleet = this.fleets(scope).get(id);
    const member = fleet?._members.find((m) => m.instanceId === instance.InstanceId);
    if (!fleet || !member) return;
    const now = this.cloud.clock.now();
    if (name === "shutting-down" || (name === "terminated" && previous !== "shutting-down")) {
      const interrupted = instance.StateReason?.Code === "Server.SpotInstanceTermination";
      const why = interrupted ? "Spot Instance interrupted: the Spot price rose above the maximum price." : reason === "user" ? "Instance terminated by the user." : "Instance terminated by the fleet.";
      this.fleets(scope).update(id, (f) => {
        setFulfilled(f, this.live(scope, f));
        appendHistory(f, [{ type: "instance-change", subType: "terminated", instanceId: member.instanceId, description: why }], now);
      });
      if (fleet.Type === "maintain" && fleet.FleetState === "active") this.scheduleEvaluation(scope, id, now + 1000);
    }
    if (name !== "terminated") return;
    const current = this.fleets(scope).get(id)!;
    const remaining = this.remaining(scope, current);
    this.fleets(scope).update(id, (f) => {
      if (f.ActivityStatus === "pending_termination" && !remaining.some((m) => this.instances.find(scope, m.instanceId)?.State?.Name === "shutting-down")) f.ActivityStatus = "fulfilled";
      if (remaining.length) return;
      if (f.FleetState === "deleted_terminating" || f.FleetState === "deleted_running") {
        f.FleetState = "deleted";
        f._goneAt = now + GONE_AFTER_MS;
        appendHistory(f, [{ type: "fleet-change", subType: "deleted" }], now);
      } else if (f.Type === "instant") {
        // EC2 cleans up an instant fleet whose instances are all gone.
        f._goneAt = now + GONE_AFTER_MS;
      }
    });
  }

  // ---- Helpers ----

  private require(scope: Scope, id: string | undefined): FleetRecord {
    if (!id) throw Ec2Errors.missingParameter("FleetId");
    checkIdShape(id, FLEET_ID);
    const now = this.cloud.clock.now();
    return requireIds(this.fleets(scope), [id], FLEET_ID, (r) => isVisible(r, now))[0];
  }

  /** Members whose instances run or could (pending, running, stopping, stopped). */
  private live(scope: Scope, fleet: FleetRecord): FleetMember[] {
    return fleet._members.filter((m) => counts(this.instances, scope, m.instanceId));
  }

  /** Members whose instances are not terminated yet (shutting down included). */
  private remaining(scope: Scope, fleet: FleetRecord): FleetMember[] {
    return fleet._members.filter((m) => {
      const state = this.instances.find(scope, m.instanceId)?.State?.Name;
      return state !== undefined && state !== "terminated";
    });
  }

  private jobKey(scope: Scope, id: string, job: "evaluate" | "expire"): string {
    return `ec2/fleet/${job}/${scope.account}/${scope.region}/${id}`;
  }

  private scheduleEvaluation(scope: Scope, id: string, due: number): void {
    this.cloud.scheduler.schedule({ kind: JOB_EVALUATE, due, key: this.jobKey(scope, id, "evaluate"), account: scope.account, region: scope.region, payload: { id } });
  }
}

/** CreateFleet's answer for a fleet (instant fleets list what they launched and what failed). */
function created(fleet: FleetRecord): CreateFleetResult {
  if (fleet.Type !== "instant") return { FleetId: fleet.FleetId };
  return { FleetId: fleet.FleetId, Instances: fleet.Instances ?? [], Errors: fleet.Errors ?? [] };
}

/** The target as DescribeFleets shows it: the on-demand and spot parts worked out. */
function targetView(spec: TargetCapacitySpecificationRequest | TargetCapacitySpecification, requested: FleetRecord["_requested"]): TargetCapacitySpecification {
  const total = spec.TotalTargetCapacity ?? 0;
  const split = splitTarget(total, requested, spec.DefaultTargetCapacityType);
  return {
    TotalTargetCapacity: total,
    OnDemandTargetCapacity: split.onDemand,
    SpotTargetCapacity: split.spot,
    DefaultTargetCapacityType: spec.DefaultTargetCapacityType,
    TargetCapacityUnitType: spec.TargetCapacityUnitType,
  };
}

function setFulfilled(fleet: FleetRecord, members: readonly FleetMember[]): void {
  fleet.FulfilledCapacity = members.reduce((n, m) => n + m.weight, 0);
  fleet.FulfilledOnDemandCapacity = members.filter((m) => m.lifecycle === "on-demand").reduce((n, m) => n + m.weight, 0);
}

function definedOf<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
