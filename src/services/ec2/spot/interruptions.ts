/**
 * Spot interruptions by price. While a spot instance runs, Stratus looks at
 * the spot price of its pool (type and zone) each time that price changes. If
 * the price has risen above the request's maximum price, the request is
 * marked (`marked-for-termination`, or `marked-for-stop` when the request
 * stops or hibernates its instance) and two minutes later — the notice AWS
 * gives — the instance is interrupted: terminated (StateReason
 * Server.SpotInstanceTermination, status `instance-terminated-by-price`) or
 * stopped (Server.SpotInstanceShutdown, `instance-stopped-by-price`).
 *
 * Afterwards the request follows AWS's lifecycle: a one-time request closes; a
 * persistent request that terminates reopens and launches again once the
 * price is back under its maximum; one that stops is `disabled` and its
 * instance is started again when the price allows. Spot fleets of type
 * `maintain` replace interrupted members (see fleet.ts).
 *
 * With the default maximum price (the on-demand price) the price model never
 * interrupts: only a maximum price below a spike does, as on AWS.
 */
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import type { Scope } from "../../../state/documents.js";
import type { InstancesModule } from "../instances/module.js";
import type { InstanceRecord } from "../state.js";
import { nextPriceChange, spotPriceAt } from "./prices.js";
import type { SpotModule, SpotRequestRecord } from "./module.js";

const JOB_WATCH = "ec2.spot.watch";
const JOB_INTERRUPT = "ec2.spot.interrupt";
/** The notice AWS gives before it interrupts a spot instance. */
export const NOTICE_MS = 120_000;

export const INTERRUPTION_STATUS = {
  markedForTermination: ["marked-for-termination", "Your Spot Instance is marked for termination because the Spot price is higher than your maximum price."],
  markedForStop: ["marked-for-stop", "Your Spot Instance is marked for stop because the Spot price is higher than your maximum price."],
  terminatedByPrice: ["instance-terminated-by-price", "Your Spot Instance was terminated because the Spot price was higher than your maximum price."],
  stoppedByPrice: ["instance-stopped-by-price", "Your Spot Instance was stopped because the Spot price was higher than your maximum price."],
} as const;

export class SpotInterruptions {
  constructor(
    private readonly cloud: Cloud,
    private readonly instances: InstancesModule,
    private readonly spot: SpotModule,
  ) {}

  onStart(): void {
    this.cloud.scheduler.on(JOB_WATCH, (job: Job<{ id: string }>) => this.check({ account: job.account, region: job.region }, job.payload.id));
    this.cloud.scheduler.on(JOB_INTERRUPT, (job: Job<{ id: string }>) => this.interrupt({ account: job.account, region: job.region }, job.payload.id));
  }

  /** Starts watching the price for a request whose instance was just launched or started. */
  watch(scope: Scope, record: SpotRequestRecord, instance: InstanceRecord): void {
    const zone = instance.Placement?.AvailabilityZone;
    if (!zone || !instance.InstanceType) return;
    const next = nextPriceChange({ type: instance.InstanceType, zone, product: "Linux/UNIX" }, this.cloud.clock.now());
    this.schedule(scope, JOB_WATCH, record.SpotInstanceRequestId!, next);
  }

  /** The price of a request's instance's pool now. */
  private priceFor(scope: Scope, instance: InstanceRecord): { price: number; next: number } {
    const series = { type: instance.InstanceType!, zone: instance.Placement!.AvailabilityZone!, product: "Linux/UNIX" };
    const now = this.cloud.clock.now();
    return { price: spotPriceAt(series, scope.region, now).price, next: nextPriceChange(series, now) };
  }

  /** At a price change: mark the request for interruption if its maximum price no longer covers the price. */
  private check(scope: Scope, id: string): void {
    const record = this.spot.requests(scope).get(id);
    if (record?.State === "disabled" && record._priceStopped) return this.resumeWhenPriceAllows(scope, id);
    if (!record || record.State !== "active" || !record.InstanceId || record._interruption) return;
    const instance = this.instances.live(scope, record.InstanceId);
    const state = instance?.State?.Name;
    if (!instance || (state !== "running" && state !== "pending")) return;
    const { price, next } = this.priceFor(scope, instance);
    if (price <= record._maxPrice) {
      this.schedule(scope, JOB_WATCH, id, next);
      return;
    }
    this.markForInterruption(scope, record);
  }

  /** Marks a request for interruption now; the instance goes two minutes later. */
  markForInterruption(scope: Scope, record: SpotRequestRecord): void {
    const id = record.SpotInstanceRequestId!;
    const stops = record.InstanceInterruptionBehavior === "stop" || record.InstanceInterruptionBehavior === "hibernate";
    const at = this.cloud.clock.now() + NOTICE_MS;
    this.spot.requests(scope).update(id, (r) => {
      r._interruption = { at, action: stops ? "stop" : "terminate" };
      r.Status = this.spot.status(stops ? INTERRUPTION_STATUS.markedForStop : INTERRUPTION_STATUS.markedForTermination);
      // AWS closes a one-time request as soon as its instance is marked for termination.
      if (!stops && r.Type === "one-time") r.State = "closed";
    });
    this.schedule(scope, JOB_INTERRUPT, id, at);
  }

  /** The end of the notice: the instance is interrupted. */
  private interrupt(scope: Scope, id: string): void {
    const record = this.spot.requests(scope).get(id);
    if (!record?._interruption || !record.InstanceId) return;
    const instance = this.instances.live(scope, record.InstanceId);
    const state = instance?.State?.Name;
    if (!instance || (state !== "running" && state !== "pending")) {
      this.spot.requests(scope).update(id, (r) => void delete r._interruption);
      return;
    }
    if (record._interruption.action === "stop") this.instances.stopBySystem(scope, instance);
    else this.instances.terminate(scope, instance, "system");
  }

  /**
   * What the request becomes when its instance goes because of an interruption
   * (called from the spot module's instance listener, in the same update).
   */
  interrupted(record: SpotRequestRecord, stopped: boolean): void {
    delete record._interruption;
    if (stopped) {
      record.State = "disabled";
      record._priceStopped = true;
      record.Status = this.spot.status(INTERRUPTION_STATUS.stoppedByPrice);
      return;
    }
    record.Status = this.spot.status(INTERRUPTION_STATUS.terminatedByPrice);
    if (record.State === "cancelled") return;
    if (record.Type === "persistent" && !record._fleetId) {
      record.State = "open";
      delete record.InstanceId;
    } else record.State = "closed";
  }

  /** A request disabled by a price stop: start its instance again once the price is under the maximum. */
  resumeWhenPriceAllows(scope: Scope, id: string): void {
    const record = this.spot.requests(scope).get(id);
    if (!record || record.State !== "disabled" || !record._priceStopped || !record.InstanceId) return;
    const instance = this.instances.live(scope, record.InstanceId);
    if (!instance) return;
    const { price, next } = this.priceFor(scope, instance);
    if (instance.State?.Name === "stopped" && price <= record._maxPrice) this.instances.startBySystem(scope, instance);
    else this.schedule(scope, JOB_WATCH, id, next);
  }

  private schedule(scope: Scope, kind: string, id: string, due: number): void {
    this.cloud.scheduler.schedule({ kind, due, key: `ec2/spot-interruption/${scope.account}/${scope.region}/${id}`, account: scope.account, region: scope.region, payload: { id } });
  }
}
