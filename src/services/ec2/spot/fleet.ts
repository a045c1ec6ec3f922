/**
 * Spot fleets: a target capacity filled from pools (launch specification ×
 * zone) by an allocation strategy, and kept filled ("maintain") when
 * instances go away. Pools, strategies, weights and scaling down are shared
 * with EC2 Fleet (pools.ts); Spot Fleet's strategy names are the camelCase
 * forms of EC2 Fleet's (lowestPrice, diversified, capacityOptimized,
 * capacityOptimizedPrioritized, priceCapacityOptimized).
 *
 * A pool is eligible when its spot price per unit is within the maximum
 * price (the specification's SpotPrice, else the fleet's, else on-demand).
 */
import { crypto } from "../../../core/crypto.js";
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import type {
  CancelSpotFleetRequestsRequest,
  CancelSpotFleetRequestsResponse,
  DescribeSpotFleetInstancesRequest,
  DescribeSpotFleetInstancesResponse,
  DescribeSpotFleetRequestsRequest,
  DescribeSpotFleetRequestsResponse,
  InstanceStateName,
  ModifySpotFleetRequestRequest,
  ModifySpotFleetRequestResponse,
  RequestSpotFleetRequest,
  RequestSpotFleetResponse,
  RunInstancesRequest,
  SpotFleetLaunchSpecification,
  SpotFleetRequestConfig,
  SpotFleetRequestConfigData,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import { IamStore } from "../../iam/store.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import type { InstancesModule } from "../instances/module.js";
import { KINDS, checkIdShape } from "../lookup.js";
import { scopeOf } from "../network/module.js";
import { paginate } from "../pagination.js";
import type { Ec2State, InstanceRecord } from "../state.js";
import { normaliseTags, tagsFor, validateTags } from "../tags.js";
import type { SpotModule } from "./module.js";
import type { LaunchTemplatesModule } from "../templates/module.js";
import { spotPriceAt } from "./prices.js";
import { activeInstances, cancelFleetRequest, chooseSpotPools, counts, excessMembers, launchSpotInstance, nextPoolPriceChange, planLaunches, poolCapacity, poolsOf, spotStrategy, type LaunchOption, type Pool } from "./pools.js";

const JOB_FLEET = "ec2.spotfleet.evaluate";

interface FleetMember {
  instanceId: string;
  requestId: string;
  weight: number;
  type: string;
}

export type FleetRecord = SpotFleetRequestConfig & {
  _members: FleetMember[];
  /** Internal: the launch specifications LaunchTemplateConfigs stand for (template data × overrides). */
  _specs?: SpotFleetLaunchSpecification[];
};


export class SpotFleetModule {
  private readonly iam: IamStore;

  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly instances: InstancesModule,
    private readonly spot: SpotModule,
    private readonly templates?: LaunchTemplatesModule,
  ) {
    this.iam = new IamStore(cloud);
    state.registerTaggable({
      prefix: "sfr",
      idPattern: KINDS.spotFleet.pattern,
      resourceType: "spot-fleet-request",
      collection: (scope) => this.fleets(scope),
      notFound: { code: KINDS.spotFleet.notFoundCode, noun: KINDS.spotFleet.noun },
    });
    instances.addListener((scope, instance, previous) => this.instanceChanged(scope, instance, previous));
  }

  onStart(): void {
    this.cloud.scheduler.on(JOB_FLEET, (job: Job<{ id: string }>) => this.evaluate({ account: job.account, region: job.region }, job.payload.id));
  }

  fleets(scope: Scope): ScopedCollection<FleetRecord> {
    return this.state.collection<FleetRecord>("spot-fleets", scope);
  }

  RequestSpotFleet(input: RequestSpotFleetRequest, ctx: CallContext): RequestSpotFleetResponse {
    const scope = scopeOf(ctx);
    const config = input.SpotFleetRequestConfig;
    const invalid = (message: string) => Ec2Errors.custom("InvalidSpotFleetRequestConfig", message);
    if (!config) throw Ec2Errors.missingParameter("SpotFleetRequestConfig");
    if (!config.IamFleetRole || !this.iam.findRole(scope.account, config.IamFleetRole)) {
      throw invalid("Parameter: SpotFleetRequestConfig.IamFleetRole is invalid.");
    }
    if (config.LaunchTemplateConfigs?.length && config.LaunchSpecifications?.length) {
      throw invalid("Parameter: SpotFleetRequestConfig.LaunchSpecifications is invalid. Specify either LaunchSpecifications or LaunchTemplateConfigs, not both.");
    }
    const fromTemplates = config.LaunchTemplateConfigs?.length ? this.templateSpecs(scope, config) : undefined;
    const specs = fromTemplates ?? config.LaunchSpecifications ?? [];
    if (!specs.length) throw invalid("Parameter: SpotFleetRequestConfig.LaunchSpecifications is invalid. Specify at least one launch specification.");
    if (!Number.isInteger(config.TargetCapacity) || config.TargetCapacity < 0) {
      throw invalid("Parameter: SpotFleetRequestConfig.TargetCapacity is invalid.");
    }
    const strategy = config.AllocationStrategy ?? "lowestPrice";
    const type = config.Type ?? "maintain";
    if (type === "instant") throw invalid("Parameter: SpotFleetRequestConfig.Type is invalid. Only request and maintain are supported by spot fleets.");
    if (config.SpotPrice !== undefined) this.spot.maxPrice(scope, config.SpotPrice, "t2.micro");
    specs.forEach((spec, i) => {
      if (spec.WeightedCapacity !== undefined && !(spec.WeightedCapacity > 0)) throw invalid(`Parameter: LaunchSpecifications[${i}].WeightedCapacity is invalid.`);
      for (const tagSpec of spec.TagSpecifications ?? []) {
        if (tagSpec.ResourceType !== "instance") throw Ec2Errors.invalidParameterValue(`'${tagSpec.ResourceType}' is not a valid taggable resource type for this operation.`);
        validateTags(tagSpec.Tags ?? []);
      }
      // Each specification must be launchable, as EC2 checks when the fleet is requested.
      for (const launch of this.launchesOf(scope, spec)) this.instances.validateLaunch(scope, launch);
    });
    const tags = tagsFor(config.TagSpecifications, "spot-fleet-request");
    const id = `sfr-${crypto().randomUUID()}`;
    const record: FleetRecord = {
      SpotFleetRequestId: id,
      SpotFleetRequestState: "submitted",
      ActivityStatus: "pending_fulfillment",
      CreateTime: this.cloud.clock.date(),
      Tags: tags,
      SpotFleetRequestConfig: {
        ...config,
        AllocationStrategy: strategy,
        Type: type,
        FulfilledCapacity: 0,
        OnDemandFulfilledCapacity: 0,
        ExcessCapacityTerminationPolicy: config.ExcessCapacityTerminationPolicy ?? "default",
        InstanceInterruptionBehavior: config.InstanceInterruptionBehavior ?? "terminate",
        TerminateInstancesWithExpiration: config.TerminateInstancesWithExpiration ?? false,
        TagSpecifications: undefined,
      },
      _members: [],
      _specs: fromTemplates,
    };
    this.fleets(scope).put(id, record);
    this.evaluate(scope, id);
    return { SpotFleetRequestId: id };
  }

  DescribeSpotFleetRequests(input: DescribeSpotFleetRequestsRequest, ctx: CallContext): DescribeSpotFleetRequestsResponse {
    const scope = scopeOf(ctx);
    const idsGiven = Boolean(input.SpotFleetRequestIds?.length);
    let records = this.fleets(scope).values();
    if (idsGiven) {
      for (const id of input.SpotFleetRequestIds!) checkIdShape(id, KINDS.spotFleet);
      const missing = input.SpotFleetRequestIds!.filter((id) => !this.fleets(scope).has(id));
      if (missing.length) throw Ec2Errors.custom(KINDS.spotFleet.notFoundCode, `The spot fleet request ID '${missing.join(", ")}' does not exist`);
      records = records.filter((r) => input.SpotFleetRequestIds!.includes(r.SpotFleetRequestId!));
    }
    const page = paginate(records, input, { min: 1, max: 1000 }, (r) => `${r.CreateTime!.toISOString()}/${r.SpotFleetRequestId}`);
    return { SpotFleetRequestConfigs: page.items.map(view), NextToken: page.nextToken };
  }

  DescribeSpotFleetInstances(input: DescribeSpotFleetInstancesRequest, ctx: CallContext): DescribeSpotFleetInstancesResponse {
    const scope = scopeOf(ctx);
    const fleet = this.require(scope, input.SpotFleetRequestId);
    return { SpotFleetRequestId: fleet.SpotFleetRequestId, ...activeInstances(this.liveMembers(scope, fleet), input) };
  }

  ModifySpotFleetRequest(input: ModifySpotFleetRequestRequest, ctx: CallContext): ModifySpotFleetRequestResponse {
    const scope = scopeOf(ctx);
    const fleet = this.require(scope, input.SpotFleetRequestId);
    if (fleet.SpotFleetRequestState !== "active" && fleet.SpotFleetRequestState !== "submitted") {
      throw Ec2Errors.custom("InvalidSpotFleetRequestId.Malformed", `The spot fleet request '${fleet.SpotFleetRequestId}' is not in a state that can be modified.`);
    }
    if (fleet.SpotFleetRequestConfig?.Type === "request") {
      throw Ec2Errors.invalidParameterValue("Only spot fleet requests of type 'maintain' can be modified.");
    }
    this.fleets(scope).update(fleet.SpotFleetRequestId!, (f) => {
      if (input.TargetCapacity !== undefined) f.SpotFleetRequestConfig!.TargetCapacity = input.TargetCapacity;
      if (input.ExcessCapacityTerminationPolicy) f.SpotFleetRequestConfig!.ExcessCapacityTerminationPolicy = input.ExcessCapacityTerminationPolicy;
    });
    this.evaluate(scope, fleet.SpotFleetRequestId!);
    return { Return: true };
  }

  CancelSpotFleetRequests(input: CancelSpotFleetRequestsRequest, ctx: CallContext): CancelSpotFleetRequestsResponse {
    const scope = scopeOf(ctx);
    const success: NonNullable<CancelSpotFleetRequestsResponse["SuccessfulFleetRequests"]> = [];
    const failure: NonNullable<CancelSpotFleetRequestsResponse["UnsuccessfulFleetRequests"]> = [];
    for (const id of input.SpotFleetRequestIds ?? []) {
      const fleet = this.fleets(scope).get(id);
      if (!fleet) {
        failure.push({ SpotFleetRequestId: id, Error: { Code: "fleetRequestIdDoesNotExist", Message: `The spot fleet request Id '${id}' does not exist.` } });
        continue;
      }
      const previous = fleet.SpotFleetRequestState!;
      if (previous.startsWith("cancelled")) {
        failure.push({ SpotFleetRequestId: id, Error: { Code: "fleetRequestNotInCancellableState", Message: `The spot fleet request '${id}' is not in a cancellable state.` } });
        continue;
      }
      const members = this.liveMembers(scope, fleet);
      const next = input.TerminateInstances ? (members.length ? "cancelled_terminating" : "cancelled") : "cancelled_running";
      this.fleets(scope).update(id, (f) => void (f.SpotFleetRequestState = next));
      this.cloud.scheduler.cancel(this.jobKey(scope, id));
      for (const member of members) {
        cancelFleetRequest(this.spot, scope, member.requestId);
        if (input.TerminateInstances) {
          const instance = this.instances.live(scope, member.instanceId);
          if (instance) this.instances.terminate(scope, instance, "user");
        }
      }
      success.push({ SpotFleetRequestId: id, PreviousSpotFleetRequestState: previous, CurrentSpotFleetRequestState: next });
    }
    return { SuccessfulFleetRequests: success, UnsuccessfulFleetRequests: failure };
  }

  private require(scope: Scope, id: string): FleetRecord {
    checkIdShape(id, KINDS.spotFleet);
    const fleet = this.fleets(scope).get(id);
    if (!fleet) throw Ec2Errors.custom(KINDS.spotFleet.notFoundCode, `The spot fleet request ID '${id}' does not exist`);
    return fleet;
  }

  private jobKey(scope: Scope, id: string): string {
    return `ec2/spotfleet/${scope.account}/${scope.region}/${id}`;
  }

  private liveMembers(scope: Scope, fleet: FleetRecord): FleetMember[] {
    return fleet._members.filter((m) => counts(this.instances, scope, m.instanceId));
  }

  /** LaunchTemplateConfigs as launch specifications: each template's data, once per override (or once without). */
  private templateSpecs(scope: Scope, config: SpotFleetRequestConfigData): SpotFleetLaunchSpecification[] {
    if (!this.templates) throw Ec2Errors.unsupportedOperation("Launch templates are not available.");
    const out: SpotFleetLaunchSpecification[] = [];
    for (const entry of config.LaunchTemplateConfigs ?? []) {
      const ref = entry.LaunchTemplateSpecification;
      if (!ref) throw Ec2Errors.missingParameter("LaunchTemplateSpecification");
      if (ref.Version === undefined) {
        throw Ec2Errors.custom("InvalidSpotFleetRequestConfig", "Parameter: LaunchTemplateSpecification.Version is invalid. Specify a launch template version.");
      }
      const { version } = this.templates.resolve(scope, ref);
      const data = version.LaunchTemplateData ?? {};
      const primary = data.NetworkInterfaces?.find((n) => (n.DeviceIndex ?? 0) === 0);
      const groupIds = primary?.Groups?.length ? primary.Groups : data.SecurityGroupIds;
      const base: SpotFleetLaunchSpecification = {
        ImageId: data.ImageId,
        InstanceType: data.InstanceType,
        KeyName: data.KeyName,
        SecurityGroups: groupIds?.length ? groupIds.map((GroupId) => ({ GroupId })) : data.SecurityGroups?.map((GroupName) => ({ GroupName })),
        IamInstanceProfile: data.IamInstanceProfile,
        UserData: data.UserData,
        BlockDeviceMappings: data.BlockDeviceMappings as SpotFleetLaunchSpecification["BlockDeviceMappings"],
        Monitoring: data.Monitoring?.Enabled !== undefined ? { Enabled: data.Monitoring.Enabled } : undefined,
        EbsOptimized: data.EbsOptimized,
        SubnetId: primary?.SubnetId,
        Placement: data.Placement?.AvailabilityZone ? { AvailabilityZone: data.Placement.AvailabilityZone } : undefined,
        TagSpecifications: data.TagSpecifications?.filter((t) => t.ResourceType === "instance").map((t) => ({ ResourceType: "instance", Tags: t.Tags })),
      };
      const overrides = entry.Overrides?.length ? entry.Overrides : [{}];
      for (const override of overrides) {
        const spec: SpotFleetLaunchSpecification = { ...base };
        if (override.InstanceType) spec.InstanceType = override.InstanceType;
        if (override.SubnetId) {
          spec.SubnetId = override.SubnetId;
          delete spec.Placement;
        }
        if (override.AvailabilityZone) spec.Placement = { AvailabilityZone: override.AvailabilityZone };
        if (override.SpotPrice !== undefined) spec.SpotPrice = override.SpotPrice;
        if (override.WeightedCapacity !== undefined) spec.WeightedCapacity = override.WeightedCapacity;
        if (!spec.ImageId) throw Ec2Errors.custom("InvalidSpotFleetRequestConfig", "Parameter: LaunchTemplateConfigs is invalid. The launch template does not specify an image id.");
        if (!spec.InstanceType) throw Ec2Errors.custom("InvalidSpotFleetRequestConfig", "Parameter: LaunchTemplateConfigs is invalid. Specify an instance type in the launch template or an override.");
        out.push(spec);
      }
    }
    return out;
  }

  /** A specification's launches, one per subnet when it names several ("subnet-a, subnet-b"). */
  private launchesOf(scope: Scope, spec: SpotFleetLaunchSpecification): RunInstancesRequest[] {
    const subnets = (spec.SubnetId ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const zones = (spec.Placement?.AvailabilityZone ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const base: RunInstancesRequest = {
      ImageId: spec.ImageId,
      InstanceType: spec.InstanceType ?? "m1.small",
      KeyName: spec.KeyName,
      SecurityGroupIds: spec.SecurityGroups?.map((g) => g.GroupId!).filter(Boolean),
      SecurityGroups: spec.SecurityGroups?.filter((g) => !g.GroupId && g.GroupName).map((g) => g.GroupName!),
      IamInstanceProfile: spec.IamInstanceProfile,
      UserData: spec.UserData,
      BlockDeviceMappings: spec.BlockDeviceMappings,
      Monitoring: spec.Monitoring?.Enabled !== undefined ? { Enabled: spec.Monitoring.Enabled } : undefined,
      NetworkInterfaces: spec.NetworkInterfaces,
      EbsOptimized: spec.EbsOptimized,
      MinCount: 1,
      MaxCount: 1,
    };
    if (subnets.length) return subnets.map((SubnetId) => ({ ...base, SubnetId, SecurityGroups: undefined }));
    if (zones.length) return zones.map((AvailabilityZone) => ({ ...base, Placement: { AvailabilityZone } }));
    return [base];
  }

  /** The fleet's launch options: each specification once per subnet or zone it names. */
  private options(scope: Scope, fleet: FleetRecord): LaunchOption[] {
    const config = fleet.SpotFleetRequestConfig!;
    const out: LaunchOption[] = [];
    for (const spec of fleet._specs ?? config.LaunchSpecifications ?? []) {
      const price = spec.SpotPrice ?? config.SpotPrice;
      const tags = normaliseTags((spec.TagSpecifications ?? []).flatMap((t) => t.Tags ?? []));
      for (const launch of this.launchesOf(scope, spec)) {
        out.push({ index: out.length, launch, weight: spec.WeightedCapacity ?? 1, maxPricePerUnit: price !== undefined ? Number(price) : undefined, tags });
      }
    }
    return out;
  }

  /** Brings the fleet to its target: launches what is missing, terminates the excess. */
  evaluate(scope: Scope, id: string): void {
    const fleet = this.fleets(scope).get(id);
    if (!fleet) return;
    const state = fleet.SpotFleetRequestState!;
    if (state !== "submitted" && state !== "active" && state !== "modifying") return;
    const config = fleet.SpotFleetRequestConfig!;
    const members = this.liveMembers(scope, fleet);
    let fulfilled = members.reduce((n, m) => n + m.weight, 0);
    const target = config.TargetCapacity;
    const strategy = spotStrategy(config.AllocationStrategy);
    const now = this.cloud.clock.now();
    const added: FleetMember[] = [];
    let activity: FleetRecord["ActivityStatus"] = "fulfilled";
    if (fulfilled < target) {
      const chosen = chooseSpotPools(poolsOf(this.spot, scope, this.options(scope, fleet), now), strategy, config.InstancePoolsToUseCount ?? 1);
      if (!chosen.length) activity = "error";
      for (const pool of planLaunches(chosen, target - fulfilled, { spread: true })) {
        try {
          const member = this.launchInto(scope, fleet, pool);
          added.push(member);
          fulfilled += member.weight;
        } catch (error) {
          this.cloud.log.error(`ec2: spot fleet ${id} could not launch into ${pool.key}`, error);
          activity = "error";
          break;
        }
      }
      if (fulfilled < target && activity !== "error") activity = "pending_fulfillment";
    } else if (fulfilled > target && config.ExcessCapacityTerminationPolicy !== "noTermination") {
      for (const member of excessMembers(members, fulfilled, target, strategy, (m) => this.facts(scope, m, now))) {
        const instance = this.instances.live(scope, member.instanceId);
        if (instance) this.instances.terminate(scope, instance, "system");
        fulfilled -= member.weight;
      }
    }
    this.fleets(scope).update(id, (f) => {
      f._members.push(...added);
      f.SpotFleetRequestState = "active";
      f.ActivityStatus = activity;
      f.SpotFleetRequestConfig!.FulfilledCapacity = fulfilled;
    });
    // A maintained fleet short of its target (every pool above its maximum price, say) tries again at the next price change.
    if (fulfilled < target && config.Type !== "request") {
      const due = nextPoolPriceChange(this.spot, scope, this.options(scope, fleet), now);
      this.cloud.scheduler.schedule({ kind: JOB_FLEET, due, key: this.jobKey(scope, id), account: scope.account, region: scope.region, payload: { id } });
    }
  }

  /** A member's pool, price per unit now and pool capacity (for scaling down). */
  private facts(scope: Scope, member: FleetMember, now: number) {
    const zone = this.instances.find(scope, member.instanceId)?.Placement?.AvailabilityZone ?? "";
    const price = zone ? spotPriceAt({ type: member.type, zone, product: "Linux/UNIX" }, scope.region, now).price : 0;
    return { weight: member.weight, pool: `${member.type}/${zone}`, pricePerUnit: price / member.weight, capacity: poolCapacity(member.type, zone) };
  }

  private launchInto(scope: Scope, fleet: FleetRecord, pool: Pool): FleetMember {
    const id = fleet.SpotFleetRequestId!;
    const launched = launchSpotInstance({ spot: this.spot, instances: this.instances }, scope, pool, { fleetId: id, tags: [{ Key: "aws:ec2spot:fleet-request-id", Value: id }] });
    return { instanceId: launched.instanceId, requestId: launched.requestId, weight: pool.weight, type: pool.type };
  }

  /** A member going away: a maintained fleet replaces it; a cancelled-terminating fleet becomes cancelled. */
  private instanceChanged(scope: Scope, instance: InstanceRecord, previous: InstanceStateName): void {
    if (!instance.SpotInstanceRequestId) return;
    const request = this.spot.requests(scope).get(instance.SpotInstanceRequestId);
    const fleetId = request?._fleetId;
    if (!fleetId) return;
    const fleet = this.fleets(scope).get(fleetId);
    if (!fleet) return;
    const name = instance.State?.Name;
    if (name === "terminated" && fleet.SpotFleetRequestState === "cancelled_terminating" && this.liveMembers(scope, fleet).length === 0) {
      this.fleets(scope).update(fleetId, (f) => void (f.SpotFleetRequestState = "cancelled"));
      return;
    }
    if ((name === "shutting-down" || name === "stopping") && previous !== name && fleet.SpotFleetRequestState === "active") {
      if (fleet.SpotFleetRequestConfig?.Type === "maintain") {
        this.cloud.scheduler.schedule({ kind: JOB_FLEET, due: this.cloud.clock.now() + 1000, key: this.jobKey(scope, fleetId), account: scope.account, region: scope.region, payload: { id: fleetId } });
      } else {
        const fulfilled = this.liveMembers(scope, fleet).reduce((n, m) => n + m.weight, 0);
        this.fleets(scope).update(fleetId, (f) => void (f.SpotFleetRequestConfig!.FulfilledCapacity = fulfilled));
      }
    }
  }
}

function view(record: FleetRecord): SpotFleetRequestConfig {
  const { _members, _specs, ...rest } = record;
  return { ...rest, Tags: rest.Tags?.length ? rest.Tags : undefined };
}
