/**
 * EC2 Fleet requests checked as EC2 checks them, and their launch template
 * configurations resolved into launch options: a template version with one
 * override (instance type or instance requirements, subnets, zone, maximum
 * price, weight, priority). An override naming several subnets is an
 * option per subnet; one with InstanceRequirements an option per matching
 * type. Templates are resolved when the fleet is created (or modified), as
 * Spot Fleet does.
 */
import type {
  CreateFleetRequest,
  DefaultTargetCapacityType,
  FleetLaunchTemplateConfigRequest,
  FleetLaunchTemplateOverrides,
  FleetLaunchTemplateOverridesRequest,
  FleetType,
  LaunchTemplateAndOverridesResponse,
  OnDemandOptionsRequest,
  RunInstancesRequest,
  SpotOptionsRequest,
  TagSpecification,
  TargetCapacitySpecificationRequest,
} from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { Ec2Errors } from "../errors.js";
import { typeShape } from "../instance-types/catalog.js";
import type { InstancesModule } from "../instances/module.js";
import type { IdKind } from "../lookup.js";
import { findZone, findZoneById } from "../regions/regions.js";
import type { LaunchTemplatesModule } from "../templates/module.js";
import { checkRequirements, typesMatching } from "./instance-requirements.js";
import type { LaunchOption } from "./pools.js";

export const FLEET_ID: IdKind = {
  prefix: "fleet",
  notFoundCode: "InvalidFleetId.NotFound",
  noun: "fleet",
  pattern: /^fleet-[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/,
};

/** A launch option with the template version and override it came from, as the API shows them. */
export interface FleetOption extends LaunchOption {
  source: LaunchTemplateAndOverridesResponse;
}

const SPOT_STRATEGIES = ["lowest-price", "diversified", "capacity-optimized", "capacity-optimized-prioritized", "price-capacity-optimized"];
const invalid = Ec2Errors.invalidParameterValue;
const combination = Ec2Errors.invalidParameterCombination;
const fleetConfig = (message: string) => Ec2Errors.custom("InvalidFleetConfig", message);

function checkWhole(value: number | undefined, name: string, min = 0, max = Infinity): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) throw Ec2Errors.invalidValueFor(value, name);
}

/** A price given as text: positive, at most `floor` excluded. */
function checkPrice(text: string | undefined, name: string, floor = 0): void {
  if (text === undefined) return;
  const value = Number(text);
  if (!/^\d*\.?\d+$/.test(text.trim()) || !(value > floor)) throw Ec2Errors.invalidValueFor(text, name);
}

/** A CreateFleet request's parameters other than its launch template configurations. */
export function checkCreateFleet(input: CreateFleetRequest, now: number): FleetType {
  const type = input.Type ?? "maintain";
  if (!["maintain", "request", "instant"].includes(type)) throw Ec2Errors.invalidValueFor(type, "Type");
  if (!input.LaunchTemplateConfigs?.length) throw Ec2Errors.missingParameter("LaunchTemplateConfigs");
  if (!input.TargetCapacitySpecification) throw Ec2Errors.missingParameter("TargetCapacitySpecification");
  checkTargetCapacity(input.TargetCapacitySpecification, type);
  checkSpotOptions(input.SpotOptions ?? {}, type);
  checkOnDemandOptions(input.OnDemandOptions ?? {}, type);
  const policy = input.ExcessCapacityTerminationPolicy;
  if (policy !== undefined && policy !== "termination" && policy !== "no-termination") throw Ec2Errors.invalidValueFor(policy, "ExcessCapacityTerminationPolicy");
  if (input.ReplaceUnhealthyInstances && type !== "maintain") {
    throw combination("ReplaceUnhealthyInstances is supported only for fleets of type maintain.");
  }
  if (input.ClientToken !== undefined && (input.ClientToken.length > 64 || !/^[\x20-\x7e]*$/.test(input.ClientToken))) {
    throw invalid("The client token must be at most 64 ASCII characters.");
  }
  const from = input.ValidFrom?.getTime();
  const until = input.ValidUntil?.getTime();
  if (until !== undefined && until <= now) throw invalid("ValidUntil must be in the future.");
  if (from !== undefined && until !== undefined && from >= until) throw invalid("ValidUntil must be later than ValidFrom.");
  return type;
}

/** TargetCapacitySpecification, for CreateFleet or ModifyFleet (`fallback`: the fleet's default type). */
export function checkTargetCapacity(spec: TargetCapacitySpecificationRequest, type: FleetType, fallback?: DefaultTargetCapacityType): void {
  const total = spec.TotalTargetCapacity;
  if (total === undefined || total === null) throw Ec2Errors.missingParameter("TargetCapacitySpecification.TotalTargetCapacity");
  checkWhole(total, "TotalTargetCapacity");
  checkWhole(spec.OnDemandTargetCapacity, "OnDemandTargetCapacity");
  checkWhole(spec.SpotTargetCapacity, "SpotTargetCapacity");
  if (total === 0 && type !== "maintain") throw invalid(`TotalTargetCapacity must be greater than 0 for fleets of type ${type}.`);
  const split = (spec.OnDemandTargetCapacity ?? 0) + (spec.SpotTargetCapacity ?? 0);
  if (split > total) throw invalid("The sum of OnDemandTargetCapacity and SpotTargetCapacity must not be greater than TotalTargetCapacity.");
  const dflt = spec.DefaultTargetCapacityType ?? fallback;
  if (dflt === "capacity-block" || dflt === "reserved-capacity") {
    throw Ec2Errors.unsupportedOperation(`DefaultTargetCapacityType ${dflt} is not supported: Stratus has no capacity reservations.`);
  }
  if (dflt !== undefined && dflt !== "spot" && dflt !== "on-demand") throw Ec2Errors.invalidValueFor(dflt, "DefaultTargetCapacityType");
  if (dflt === undefined && split < total) throw Ec2Errors.missingParameter("TargetCapacitySpecification.DefaultTargetCapacityType");
  const unit = spec.TargetCapacityUnitType;
  if (unit !== undefined && !["units", "vcpu", "memory-mib"].includes(unit)) throw Ec2Errors.invalidValueFor(unit, "TargetCapacityUnitType");
}

/** Options only instant fleets take (Single*, MinTargetCapacity), with AWS's rules. */
function checkInstantOnly(options: SpotOptionsRequest | OnDemandOptionsRequest, name: string, type: FleetType): void {
  for (const key of ["SingleInstanceType", "SingleAvailabilityZone", "MinTargetCapacity"] as const) {
    if (options[key] !== undefined && options[key] !== false && type !== "instant") throw combination(`${name}.${key} is supported only for fleets of type instant.`);
  }
  checkWhole(options.MinTargetCapacity, `${name}.MinTargetCapacity`, 0, 1000);
  if (options.MinTargetCapacity && !options.SingleInstanceType && !options.SingleAvailabilityZone) {
    throw combination(`${name}.MinTargetCapacity requires SingleInstanceType or SingleAvailabilityZone.`);
  }
  checkPrice(options.MaxTotalPrice, `${name}.MaxTotalPrice`);
}

function checkSpotOptions(options: SpotOptionsRequest, type: FleetType): void {
  const strategy = options.AllocationStrategy;
  if (strategy !== undefined && !SPOT_STRATEGIES.includes(strategy)) throw Ec2Errors.invalidValueFor(strategy, "SpotOptions.AllocationStrategy");
  checkWhole(options.InstancePoolsToUseCount, "SpotOptions.InstancePoolsToUseCount", 1);
  const behavior = options.InstanceInterruptionBehavior;
  if (behavior !== undefined && !["terminate", "stop", "hibernate"].includes(behavior)) throw Ec2Errors.invalidValueFor(behavior, "SpotOptions.InstanceInterruptionBehavior");
  if (behavior !== undefined && behavior !== "terminate" && type !== "maintain") {
    throw combination(`The interruption behavior '${behavior}' is supported only for fleets of type maintain.`);
  }
  checkInstantOnly(options, "SpotOptions", type);
}

function checkOnDemandOptions(options: OnDemandOptionsRequest, type: FleetType): void {
  const strategy = options.AllocationStrategy;
  if (strategy !== undefined && strategy !== "lowest-price" && strategy !== "prioritized") throw Ec2Errors.invalidValueFor(strategy, "OnDemandOptions.AllocationStrategy");
  if (options.CapacityReservationOptions) throw Ec2Errors.unsupportedOperation("Capacity Reservations are not supported by Stratus.");
  checkInstantOnly(options, "OnDemandOptions", type);
}

/** The on-demand and spot parts of a target: the explicit ones, the rest by the default type (explicit ones trimmed to the total). */
export function splitTarget(total: number, requested: { onDemand?: number; spot?: number }, dflt: DefaultTargetCapacityType | undefined): { onDemand: number; spot: number } {
  let onDemand = Math.min(requested.onDemand ?? 0, total);
  let spot = Math.min(requested.spot ?? 0, total - onDemand);
  const rest = total - onDemand - spot;
  if (dflt === "on-demand") onDemand += rest;
  else spot += rest;
  return { onDemand, spot };
}

function checkOverride(override: FleetLaunchTemplateOverridesRequest, where: string, type: FleetType, scope: Scope): string | undefined {
  if (override.InstanceType && override.InstanceRequirements) throw combination(`${where}: you can specify InstanceType or InstanceRequirements, but not both.`);
  if (override.InstanceRequirements) checkRequirements(override.InstanceRequirements, `${where}.InstanceRequirements`);
  checkPrice(override.MaxPrice, `${where}.MaxPrice`, 0.001);
  if (override.WeightedCapacity !== undefined && !(override.WeightedCapacity > 0)) throw Ec2Errors.invalidValueFor(override.WeightedCapacity, `${where}.WeightedCapacity`);
  checkWhole(override.Priority, `${where}.Priority`);
  if ((override.ImageId || override.BlockDeviceMappings?.length) && type !== "instant") {
    throw combination(`${where}: ImageId and BlockDeviceMappings overrides are supported only for fleets of type instant; specify them in the launch template.`);
  }
  if (override.AvailabilityZone && override.AvailabilityZoneId) throw combination(`${where}: specify AvailabilityZone or AvailabilityZoneId, not both.`);
  const name = override.AvailabilityZone ?? override.Placement?.AvailabilityZone;
  if (name) {
    if (!findZone(scope.region, name)) throw invalid(`Invalid availability zone: [${name}]`);
    return name;
  }
  if (override.AvailabilityZoneId) {
    const zone = findZoneById(scope.region, override.AvailabilityZoneId);
    if (!zone) throw invalid(`Invalid availability zone: [${override.AvailabilityZoneId}]`);
    return zone.name;
  }
  return undefined;
}

/** The override as the API echoes it for one option (one type, one subnet). */
function overrideView(override: FleetLaunchTemplateOverridesRequest, type: string, subnet: string | undefined, zone: string | undefined): FleetLaunchTemplateOverrides {
  const view: FleetLaunchTemplateOverrides = {
    InstanceType: type as FleetLaunchTemplateOverrides["InstanceType"],
    SubnetId: subnet,
    AvailabilityZone: subnet ? undefined : zone,
    MaxPrice: override.MaxPrice,
    WeightedCapacity: override.WeightedCapacity,
    Priority: override.Priority,
    ImageId: override.ImageId,
  };
  for (const key of Object.keys(view) as Array<keyof FleetLaunchTemplateOverrides>) if (view[key] === undefined) delete view[key];
  return view;
}

export interface ResolveContext {
  templates: LaunchTemplatesModule;
  instances: InstancesModule;
  scope: Scope;
  type: FleetType;
  unitType: string;
  /** TagSpecifications an instant fleet passes to its instances (instance, volume, network-interface). */
  launchTags?: TagSpecification[];
}

/** LaunchTemplateConfigs as launch options, each checked as RunInstances would check it. */
export function resolveConfigs(configs: FleetLaunchTemplateConfigRequest[] | undefined, context: ResolveContext): FleetOption[] {
  const { templates, instances, scope, type, unitType } = context;
  if (!configs?.length) throw Ec2Errors.missingParameter("LaunchTemplateConfigs");
  const out: FleetOption[] = [];
  const seen = new Set<string>();
  configs.forEach((config, i) => {
    const where = `LaunchTemplateConfigs.${i + 1}`;
    const ref = config.LaunchTemplateSpecification;
    if (!ref) throw Ec2Errors.missingParameter(`${where}.LaunchTemplateSpecification`);
    if (ref.Version === undefined || ref.Version === "") throw Ec2Errors.missingParameter(`${where}.LaunchTemplateSpecification.Version`);
    const { template, version } = templates.resolve(scope, ref);
    const spec = { LaunchTemplateId: template.LaunchTemplateId, Version: String(version.VersionNumber) };
    (config.Overrides?.length ? config.Overrides : [{}]).forEach((override, j) => {
      const at = `${where}.Overrides.${j + 1}`;
      const zone = checkOverride(override, at, type, scope);
      if (unitType !== "units" && !override.InstanceRequirements) {
        throw combination(`TargetCapacityUnitType ${unitType} can be used only with InstanceRequirements in every override.`);
      }
      const subnets = (override.SubnetId ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      if (type === "instant" && subnets.length > 1) throw invalid(`${at}.SubnetId: a request of type instant can have only one subnet ID.`);
      const types = override.InstanceRequirements ? typesMatching(override.InstanceRequirements, scope.region) : [override.InstanceType];
      if (!types.length) throw fleetConfig(`${at}.InstanceRequirements: no instance type matches the requirements.`);
      for (const instanceType of types) {
        for (const subnet of subnets.length ? subnets : [undefined]) {
          const launch = launchFor(templates, scope, spec, { InstanceType: instanceType, SubnetId: subnet, zone, override, tags: context.launchTags });
          if (!launch.ImageId) throw fleetConfig(`${where}: the launch template does not specify an image id.`);
          if (!launch.InstanceType) throw fleetConfig(`${where}: specify an instance type in the launch template or an override.`);
          const pool = `${launch.InstanceType}/${subnet ?? zone ?? "*"}`;
          if (seen.has(pool)) throw fleetConfig("The fleet configuration contains duplicate instance pools.");
          seen.add(pool);
          instances.validateLaunch(scope, launch);
          const shape = typeShape(launch.InstanceType);
          const weight = unitType === "vcpu" ? shape.vcpus : unitType === "memory-mib" ? shape.memoryMiB : (override.WeightedCapacity ?? 1);
          out.push({
            index: out.length,
            launch,
            weight,
            maxPricePerUnit: override.MaxPrice !== undefined ? Number(override.MaxPrice) : undefined,
            priority: override.Priority,
            source: { LaunchTemplateSpecification: spec, Overrides: overrideView(override, launch.InstanceType, subnet, zone) },
          });
        }
      }
    });
  });
  return out;
}

/** The template version's launch with an override on top (the override wins, as the call's parameters do in RunInstances). */
function launchFor(
  templates: LaunchTemplatesModule,
  scope: Scope,
  spec: { LaunchTemplateId?: string; Version?: string },
  given: { InstanceType?: string; SubnetId?: string; zone?: string; override: FleetLaunchTemplateOverridesRequest; tags?: TagSpecification[] },
): RunInstancesRequest {
  const merged = templates.mergeIntoRunInstances(scope, {
    MinCount: 1,
    MaxCount: 1,
    LaunchTemplate: spec,
    InstanceType: given.InstanceType as RunInstancesRequest["InstanceType"],
    SubnetId: given.SubnetId,
    ImageId: given.override.ImageId,
    BlockDeviceMappings: given.override.BlockDeviceMappings as RunInstancesRequest["BlockDeviceMappings"],
    TagSpecifications: given.tags,
  });
  // The fleet decides the market; a subnet decides the zone.
  delete merged.InstanceMarketOptions;
  if (given.SubnetId && merged.Placement) merged.Placement = { ...merged.Placement, AvailabilityZone: undefined };
  if (given.zone && !given.SubnetId) merged.Placement = { ...merged.Placement, AvailabilityZone: given.zone };
  return { ...merged, MinCount: 1, MaxCount: 1 };
}
