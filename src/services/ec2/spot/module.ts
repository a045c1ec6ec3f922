/**
 * Spot: price history, and spot instance requests (one-time and persistent).
 * A request is evaluated when made and again at each price change of its
 * zones while it is open: it is fulfilled (an instance with InstanceLifecycle
 * "spot" is launched) when its maximum price covers the current spot price,
 * else it stays open with status price-too-low. Requests follow their
 * instances: terminating a one-time request's instance closes it, a
 * persistent one reopens and relaunches.
 */
import { crypto } from "../../../core/crypto.js";
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import type {
  CancelSpotInstanceRequestsRequest,
  CancelSpotInstanceRequestsResult,
  DescribeSpotInstanceRequestsRequest,
  DescribeSpotInstanceRequestsResult,
  DescribeSpotPriceHistoryRequest,
  DescribeSpotPriceHistoryResult,
  InstanceStateName,
  RequestSpotInstancesRequest,
  RequestSpotInstancesResult,
  Reservation,
  RunInstancesRequest,
  SpotInstanceRequest,
  Tag,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { ClientTokens } from "../idempotency.js";
import { zonesOffering } from "../instance-types/offerings.js";
import type { InstancesModule } from "../instances/module.js";
import { KINDS, checkIdShape } from "../lookup.js";
import { scopeOf } from "../network/module.js";
import { paginate } from "../pagination.js";
import type { Ec2State, InstanceRecord } from "../state.js";
import { tagsBySpecification, tagsFor } from "../tags.js";
import { spotPriceHistory } from "./history.js";
import { EPOCH_MS, formatPrice, nextPriceChange, onDemandPrice, spotPriceAt } from "./prices.js";
import { SpotInterruptions } from "./interruptions.js";

const JOB_EVALUATE = "ec2.spot.evaluate";
const DEFAULT_VALIDITY_MS = 7 * 86_400_000;

export type SpotRequestRecord = SpotInstanceRequest & {
  /** The launch, as RunInstances would take it (one instance). */
  _launch: RunInstancesRequest;
  _maxPrice: number;
  /** Set when a spot fleet made the request. */
  _fleetId?: string;
  /** Set while the request is marked for interruption: when, and what happens then. */
  _interruption?: { at: number; action: "stop" | "terminate" };
  /** Set while the instance is stopped by a price interruption (the request is disabled). */
  _priceStopped?: boolean;
};

export const STATUS = {
  pendingEvaluation: ["pending-evaluation", "Your Spot request has been submitted for review, and is pending evaluation."],
  fulfilled: ["fulfilled", "Your spot request is fulfilled."],
  canceledBeforeFulfillment: ["canceled-before-fulfillment", "Your Spot request was canceled before it was fulfilled."],
  canceledRunning: ["request-canceled-and-instance-running", "Spot Instance request canceled by user but the Spot Instance is still running."],
  terminatedByUser: ["instance-terminated-by-user", "Spot Instance terminated due to user-initiated termination."],
  stoppedByUser: ["instance-stopped-by-user", "Spot Instance stopped due to user-initiated stop."],
  expired: ["schedule-expired", "Your Spot request has expired before it was fulfilled."],
  badParameters: ["bad-parameters", "Your Spot request is not valid."],
  capacityNotAvailable: ["capacity-not-available", "There is no capacity available for the instance type you requested."],
} as const;

export class SpotModule {
  private readonly clientTokens: ClientTokens;
  readonly interruptions: SpotInterruptions;

  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly instances: InstancesModule,
  ) {
    this.clientTokens = new ClientTokens(state);
    state.registerTaggable({
      prefix: "sir",
      idPattern: KINDS.spotRequest.pattern,
      resourceType: "spot-instances-request",
      collection: (scope) => this.requests(scope),
      notFound: { code: KINDS.spotRequest.notFoundCode, noun: KINDS.spotRequest.noun },
    });
    instances.spotLauncher = (scope, input) => this.runSpotInstances(scope, input);
    instances.addListener((scope, instance, previous, reason) => this.instanceChanged(scope, instance, previous, reason));
    this.interruptions = new SpotInterruptions(cloud, instances, this);
  }

  onStart(): void {
    this.cloud.scheduler.on(JOB_EVALUATE, (job: Job<{ id: string }>) => this.evaluate({ account: job.account, region: job.region }, job.payload.id));
    this.interruptions.onStart();
  }

  requests(scope: Scope): ScopedCollection<SpotRequestRecord> {
    return this.state.collection<SpotRequestRecord>("spot-requests", scope);
  }

  DescribeSpotPriceHistory(input: DescribeSpotPriceHistoryRequest, ctx: CallContext): DescribeSpotPriceHistoryResult {
    return spotPriceHistory(ctx.region, this.cloud.clock.now(), input);
  }

  RequestSpotInstances(input: RequestSpotInstancesRequest, ctx: CallContext): RequestSpotInstancesResult {
    const scope = scopeOf(ctx);
    const earlier = this.clientTokens.earlier(scope, "RequestSpotInstances", input.ClientToken, input);
    if (earlier) {
      const requests = this.requests(scope);
      return { SpotInstanceRequests: earlier.flatMap((id) => requests.get(id) ?? []).map(view) };
    }
    const tags = tagsFor(input.TagSpecifications, "spot-instances-request");
    const type = input.Type ?? "one-time";
    if (type !== "one-time" && type !== "persistent") throw Ec2Errors.invalidValueFor(type, "Type");
    const behavior = input.InstanceInterruptionBehavior ?? "terminate";
    if (behavior !== "terminate" && type !== "persistent") {
      throw Ec2Errors.invalidParameterCombination(`The interruption behavior '${behavior}' is supported only for persistent Spot Instance requests.`);
    }
    const count = input.InstanceCount ?? 1;
    if (!Number.isInteger(count) || count < 1) throw Ec2Errors.invalidParameterValue(`Invalid value '${count}' for InstanceCount.`);
    const spec = input.LaunchSpecification;
    if (!spec?.ImageId) throw Ec2Errors.missingParameter("LaunchSpecification.ImageId");
    const launch: RunInstancesRequest = {
      ImageId: spec.ImageId,
      InstanceType: spec.InstanceType ?? "m1.small",
      KeyName: spec.KeyName,
      SecurityGroupIds: spec.SecurityGroupIds,
      SecurityGroups: spec.SecurityGroups,
      SubnetId: spec.SubnetId,
      Placement: spec.Placement?.AvailabilityZone ? { AvailabilityZone: spec.Placement.AvailabilityZone, Tenancy: spec.Placement.Tenancy } : undefined,
      IamInstanceProfile: spec.IamInstanceProfile,
      UserData: spec.UserData,
      BlockDeviceMappings: spec.BlockDeviceMappings,
      Monitoring: spec.Monitoring,
      NetworkInterfaces: spec.NetworkInterfaces,
      EbsOptimized: spec.EbsOptimized,
      MinCount: 1,
      MaxCount: 1,
    };
    const maxPrice = this.maxPrice(scope, input.SpotPrice, launch.InstanceType!);
    // The launch specification is checked now, as EC2 does.
    this.instances.validateLaunch(scope, launch);
    const now = this.cloud.clock.now();
    const created: SpotRequestRecord[] = [];
    this.cloud.documents.transaction(() => {
      for (let i = 0; i < count; i++) {
        const record = this.newRequest(scope, {
          launch,
          maxPrice,
          type,
          behavior,
          tags,
          validFrom: input.ValidFrom,
          validUntil: input.ValidUntil ?? new Date(now + DEFAULT_VALIDITY_MS),
          launchGroup: input.LaunchGroup,
          zoneGroup: input.AvailabilityZoneGroup,
        });
        created.push(record);
      }
    });
    for (const record of created) this.evaluate(scope, record.SpotInstanceRequestId!);
    this.clientTokens.remember(scope, "RequestSpotInstances", input.ClientToken, input, created.map((r) => r.SpotInstanceRequestId!));
    return { SpotInstanceRequests: created.map((r) => view(this.requests(scope).get(r.SpotInstanceRequestId!)!)) };
  }

  DescribeSpotInstanceRequests(input: DescribeSpotInstanceRequestsRequest, ctx: CallContext): DescribeSpotInstanceRequestsResult {
    const scope = scopeOf(ctx);
    const all = this.requests(scope);
    const idsGiven = Boolean(input.SpotInstanceRequestIds?.length);
    let records: SpotRequestRecord[];
    if (idsGiven) {
      records = [];
      const missing: string[] = [];
      for (const id of input.SpotInstanceRequestIds!) {
        checkIdShape(id, KINDS.spotRequest);
        const record = all.get(id);
        if (record) records.push(record);
        else missing.push(id);
      }
      if (missing.length) throw Ec2Errors.notFound(KINDS.spotRequest.notFoundCode, KINDS.spotRequest.noun, missing);
    } else records = all.values();
    const predicate = compileFilters<SpotRequestRecord>(input.Filters, {
      fields: {
        "availability-zone-group": (r) => r.AvailabilityZoneGroup,
        "create-time": (r) => r.CreateTime,
        "fault-code": (r) => r.Fault?.Code,
        "fault-message": (r) => r.Fault?.Message,
        "instance-id": (r) => r.InstanceId,
        "launch-group": (r) => r.LaunchGroup,
        "launch.group-id": (r) => r.LaunchSpecification?.SecurityGroups?.map((g) => g.GroupId),
        "launch.group-name": (r) => r.LaunchSpecification?.SecurityGroups?.map((g) => g.GroupName),
        "launch.image-id": (r) => r.LaunchSpecification?.ImageId,
        "launch.instance-type": (r) => r.LaunchSpecification?.InstanceType,
        "launch.key-name": (r) => r.LaunchSpecification?.KeyName,
        "launch.monitoring-enabled": (r) => r.LaunchSpecification?.Monitoring?.Enabled ?? false,
        "launched-availability-zone": (r) => r.LaunchedAvailabilityZone,
        "launched-availability-zone-id": (r) => r.LaunchedAvailabilityZoneId,
        "product-description": (r) => r.ProductDescription,
        "spot-instance-request-id": (r) => r.SpotInstanceRequestId,
        "spot-price": (r) => r.SpotPrice,
        state: (r) => r.State,
        "status-code": (r) => r.Status?.Code,
        "status-message": (r) => r.Status?.Message,
        type: (r) => r.Type,
        "valid-from": (r) => r.ValidFrom,
        "valid-until": (r) => r.ValidUntil,
      },
      tags: tagsOf,
    });
    const page = paginate(records.filter(predicate), input, { min: 5, max: 1000, idsParameter: "spotInstanceRequestIdSet" }, (r) => `${r.CreateTime!.toISOString()}/${r.SpotInstanceRequestId}`, idsGiven);
    return { SpotInstanceRequests: page.items.map(view), NextToken: page.nextToken };
  }

  CancelSpotInstanceRequests(input: CancelSpotInstanceRequestsRequest, ctx: CallContext): CancelSpotInstanceRequestsResult {
    const scope = scopeOf(ctx);
    const ids = input.SpotInstanceRequestIds ?? [];
    for (const id of ids) checkIdShape(id, KINDS.spotRequest);
    const missing = ids.filter((id) => !this.requests(scope).has(id));
    if (missing.length) throw Ec2Errors.notFound(KINDS.spotRequest.notFoundCode, KINDS.spotRequest.noun, missing);
    const out = ids.map((id) => {
      const record = this.requests(scope).update(id, (r) => {
        if (r.State === "open") {
          r.State = "cancelled";
          r.Status = this.status(STATUS.canceledBeforeFulfillment);
        } else if (r.State === "active" || r.State === "disabled") {
          r.State = "cancelled";
          r.Status = this.status(STATUS.canceledRunning);
        }
      })!;
      this.cloud.scheduler.cancel(this.jobKey(scope, id));
      return { SpotInstanceRequestId: id, State: record.State === "cancelled" ? ("cancelled" as const) : (record.State as "closed" | "open" | "active") };
    });
    return { CancelledSpotInstanceRequests: out };
  }

  // ---- Shared with spot fleets and RunInstances ----

  /** The maximum price of a request: the one given (checked), else the on-demand price. */
  maxPrice(scope: Scope, given: string | undefined, type: string): number {
    if (given === undefined) return onDemandPrice(type, scope.region) ?? 0;
    const value = Number(given);
    if (!/^\d*\.?\d+$/.test(given.trim()) || !Number.isFinite(value) || value <= 0) {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${given}' for SpotPrice.`);
    }
    return value;
  }

  /** The cheapest zone among the candidates for a launch, with its current price. */
  cheapestZone(scope: Scope, launch: RunInstancesRequest): { zone: string; price: number; since: number } | undefined {
    const type = launch.InstanceType!;
    const zones = this.candidateZones(scope, launch);
    let best: { zone: string; price: number; since: number } | undefined;
    const now = this.cloud.clock.now();
    for (const zone of zones) {
      const { price, since } = spotPriceAt({ type, zone, product: "Linux/UNIX" }, scope.region, now);
      if (!best || price < best.price) best = { zone, price, since };
    }
    return best;
  }

  /** Zones a launch may use: its subnet's or placement's, else every zone offering the type. */
  candidateZones(scope: Scope, launch: RunInstancesRequest): string[] {
    const subnetId = launch.SubnetId ?? launch.NetworkInterfaces?.[0]?.SubnetId;
    if (subnetId) {
      const subnet = this.state.collection<{ AvailabilityZone?: string }>("subnets", scope).get(subnetId);
      return subnet?.AvailabilityZone ? [subnet.AvailabilityZone] : [];
    }
    if (launch.Placement?.AvailabilityZone) return [launch.Placement.AvailabilityZone];
    return zonesOffering(scope.region, launch.InstanceType!).map((z) => z.name);
  }

  newRequest(
    scope: Scope,
    options: {
      launch: RunInstancesRequest;
      maxPrice: number;
      type: "one-time" | "persistent";
      behavior: "terminate" | "stop" | "hibernate";
      tags: Tag[];
      validFrom?: Date;
      validUntil?: Date;
      launchGroup?: string;
      zoneGroup?: string;
      fleetId?: string;
    },
  ): SpotRequestRecord {
    const id = `sir-${crypto().randomBytes(4).readUInt32BE().toString(36).padStart(8, "0").slice(-8)}`;
    const launch = options.launch;
    const record: SpotRequestRecord = {
      SpotInstanceRequestId: id,
      SpotPrice: formatPrice(options.maxPrice),
      Type: options.type,
      State: "open",
      Status: this.status(STATUS.pendingEvaluation),
      CreateTime: this.cloud.clock.date(),
      ProductDescription: "Linux/UNIX",
      InstanceInterruptionBehavior: options.behavior,
      ValidFrom: options.validFrom,
      ValidUntil: options.validUntil,
      LaunchGroup: options.launchGroup,
      AvailabilityZoneGroup: options.zoneGroup,
      Tags: options.tags,
      LaunchSpecification: {
        ImageId: launch.ImageId,
        InstanceType: launch.InstanceType,
        KeyName: launch.KeyName,
        SecurityGroups: this.groupsOf(scope, launch),
        SubnetId: launch.SubnetId,
        Placement: launch.Placement?.AvailabilityZone ? { AvailabilityZone: launch.Placement.AvailabilityZone } : undefined,
        IamInstanceProfile: launch.IamInstanceProfile,
        BlockDeviceMappings: launch.BlockDeviceMappings,
        Monitoring: { Enabled: launch.Monitoring?.Enabled ?? false },
        EbsOptimized: launch.EbsOptimized ?? false,
        NetworkInterfaces: launch.NetworkInterfaces,
        UserData: launch.UserData,
      },
      _launch: launch,
      _maxPrice: options.maxPrice,
      _fleetId: options.fleetId,
    };
    this.requests(scope).put(id, record);
    return record;
  }

  private groupsOf(scope: Scope, launch: RunInstancesRequest) {
    const groups = this.state.collection<{ GroupId?: string; GroupName?: string; VpcId?: string }>("security-groups", scope);
    const out: Array<{ GroupId?: string; GroupName?: string }> = [];
    for (const id of launch.SecurityGroupIds ?? []) out.push({ GroupId: id, GroupName: groups.get(id)?.GroupName });
    for (const name of launch.SecurityGroups ?? []) out.push({ GroupId: groups.values().find((g) => g.GroupName === name)?.GroupId, GroupName: name });
    return out;
  }

  /** Marks a request fulfilled by an instance (spot fleets launch their own). */
  markFulfilled(scope: Scope, id: string, instance: InstanceRecord): void {
    const record = this.requests(scope).update(id, (r) => {
      r.State = "active";
      r.Status = this.status(STATUS.fulfilled);
      r.InstanceId = instance.InstanceId;
      r.LaunchedAvailabilityZone = instance.Placement?.AvailabilityZone;
      r.LaunchedAvailabilityZoneId = instance.Placement?.AvailabilityZoneId;
      delete r._priceStopped;
    });
    if (record) this.interruptions.watch(scope, record, instance);
  }

  /** Evaluates an open request against the current price. */
  evaluate(scope: Scope, id: string): void {
    const record = this.requests(scope).get(id);
    if (!record || record.State !== "open" || record._fleetId) return;
    const now = this.cloud.clock.now();
    if (record.ValidUntil && now >= record.ValidUntil.getTime()) {
      this.requests(scope).update(id, (r) => {
        r.State = "closed";
        r.Status = this.status(STATUS.expired);
      });
      return;
    }
    if (record.ValidFrom && now < record.ValidFrom.getTime()) {
      this.scheduleEvaluation(scope, id, record.ValidFrom.getTime());
      return;
    }
    const best = this.cheapestZone(scope, record._launch);
    if (!best) {
      this.requests(scope).update(id, (r) => void (r.Status = this.status(STATUS.capacityNotAvailable)));
      return;
    }
    if (record._maxPrice < best.price) {
      this.requests(scope).update(id, (r) => {
        r.Status = this.status([
          "price-too-low",
          `Your Spot request price of ${trimPrice(record._maxPrice)} is lower than the minimum required Spot request fulfillment price of ${trimPrice(best.price)}.`,
        ]);
      });
      const expiry = record.ValidUntil?.getTime() ?? Infinity;
      this.scheduleEvaluation(scope, id, Math.min(this.nextPriceChange(scope, record._launch), expiry));
      return;
    }
    const launch: RunInstancesRequest = { ...record._launch };
    if (!launch.SubnetId && !launch.NetworkInterfaces?.length) launch.Placement = { ...launch.Placement, AvailabilityZone: best.zone };
    try {
      const reservation = this.instances.launch(scope, launch, { lifecycle: "spot", spotInstanceRequestId: id, requesterId: undefined });
      const instance = this.instances.instances(scope).get(reservation.Instances![0].InstanceId!)!;
      this.markFulfilled(scope, id, instance);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.requests(scope).update(id, (r) => {
        r.State = "failed";
        r.Status = this.status(STATUS.badParameters);
        r.Fault = { Code: (error as { code?: string }).code ?? "InternalError", Message: message };
      });
    }
  }

  /** When the price of one of a launch's candidate pools next changes (within an epoch). */
  nextPriceChange(scope: Scope, launch: RunInstancesRequest): number {
    const now = this.cloud.clock.now();
    let next = now + EPOCH_MS;
    for (const zone of this.candidateZones(scope, launch)) {
      next = Math.min(next, nextPriceChange({ type: launch.InstanceType!, zone, product: "Linux/UNIX" }, now));
    }
    return next;
  }

  private jobKey(scope: Scope, id: string): string {
    return `ec2/spot/${scope.account}/${scope.region}/${id}`;
  }

  private scheduleEvaluation(scope: Scope, id: string, due: number): void {
    this.cloud.scheduler.schedule({ kind: JOB_EVALUATE, due, key: this.jobKey(scope, id), account: scope.account, region: scope.region, payload: { id } });
  }

  status([code, message]: readonly [string, string]) {
    return { Code: code, Message: message, UpdateTime: this.cloud.clock.date() };
  }

  /** Requests follow their instances' lives. */
  private instanceChanged(scope: Scope, instance: InstanceRecord, previous: InstanceStateName, reason: "user" | "system"): void {
    const id = instance.SpotInstanceRequestId;
    if (!id) return;
    const record = this.requests(scope).get(id);
    if (!record || record.InstanceId !== instance.InstanceId) return;
    const now = instance.State?.Name;
    if (record._interruption && reason === "system" && (now === "shutting-down" || now === "stopping")) {
      const updated = this.requests(scope).update(id, (r) => this.interruptions.interrupted(r, now === "stopping"))!;
      if (updated.State === "open") this.scheduleEvaluation(scope, id, this.cloud.clock.now() + 1000);
      if (updated.State === "disabled") this.interruptions.resumeWhenPriceAllows(scope, id);
      return;
    }
    if (now === "shutting-down" && previous !== "shutting-down") {
      this.requests(scope).update(id, (r) => {
        r.Status = this.status(STATUS.terminatedByUser);
        if (r.State === "cancelled") return;
        if (r.Type === "persistent" && !r._fleetId) {
          r.State = "open";
          delete r.InstanceId;
        } else r.State = "closed";
      });
      const updated = this.requests(scope).get(id)!;
      if (updated.State === "open") this.scheduleEvaluation(scope, id, this.cloud.clock.now() + 1000);
    } else if (now === "stopping" && record.State === "active") {
      this.requests(scope).update(id, (r) => {
        r.State = "disabled";
        r.Status = this.status(STATUS.stoppedByUser);
      });
    } else if (now === "pending" && previous === "stopped" && record.State === "disabled") {
      this.markFulfilled(scope, id, instance);
    }
  }

  /** RunInstances with InstanceMarketOptions.MarketType=spot: one request per instance, launched now or refused. */
  private runSpotInstances(scope: Scope, input: RunInstancesRequest): Reservation {
    const options = input.InstanceMarketOptions?.SpotOptions ?? {};
    const type = options.SpotInstanceType ?? "one-time";
    const behavior = options.InstanceInterruptionBehavior ?? "terminate";
    if (behavior !== "terminate" && type !== "persistent") {
      throw Ec2Errors.invalidParameterCombination(`The interruption behavior '${behavior}' is supported only for persistent Spot Instance requests.`);
    }
    const launch: RunInstancesRequest = { ...input, InstanceMarketOptions: undefined, InstanceType: input.InstanceType ?? "t2.micro" };
    const maxPrice = this.maxPrice(scope, options.MaxPrice, launch.InstanceType!);
    this.instances.validateLaunch(scope, launch);
    const best = this.cheapestZone(scope, launch);
    if (!best) throw Ec2Errors.custom("InsufficientInstanceCapacity", `There is no Spot capacity available that matches your request.`);
    if (maxPrice < best.price) {
      throw Ec2Errors.custom(
        "SpotMaxPriceTooLow",
        `Your Spot request price of ${trimPrice(maxPrice)} is lower than the minimum required Spot request fulfillment price of ${trimPrice(best.price)}.`,
      );
    }
    const requestTags = tagsBySpecification(input.TagSpecifications, ["instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu"]).get("spot-instances-request") ?? [];
    if (!launch.SubnetId && !launch.NetworkInterfaces?.length) launch.Placement = { ...launch.Placement, AvailabilityZone: best.zone };
    const ids: string[] = [];
    this.cloud.documents.transaction(() => {
      for (let i = 0; i < input.MaxCount; i++) {
        ids.push(
          this.newRequest(scope, {
            launch: { ...launch, MinCount: 1, MaxCount: 1, TagSpecifications: undefined },
            maxPrice,
            type,
            behavior,
            tags: requestTags,
            validUntil: options.ValidUntil,
          }).SpotInstanceRequestId!,
        );
      }
    });
    let reservation: Reservation;
    try {
      reservation = this.instances.launch(scope, launch, { lifecycle: "spot", spotInstanceRequestIds: ids });
    } catch (error) {
      for (const id of ids) this.requests(scope).delete(id);
      throw error;
    }
    const launched = reservation.Instances!;
    launched.forEach((instance, i) => this.markFulfilled(scope, ids[i], this.instances.instances(scope).get(instance.InstanceId!)!));
    for (const extra of ids.slice(launched.length)) this.requests(scope).delete(extra);
    return reservation;
  }
}

function trimPrice(price: number): string {
  return String(Math.round(price * 1e6) / 1e6);
}

/** A request as the API shows it. */
export function view(record: SpotRequestRecord): SpotInstanceRequest {
  const { _launch, _maxPrice, _fleetId, _interruption, _priceStopped, ...rest } = record;
  return { ...rest, Tags: rest.Tags?.length ? rest.Tags : undefined };
}
