/**
 * EC2 is composed of modules, each owning a family of operations (instances,
 * networking, volumes and snapshots, spot...). The provider merges their
 * handlers; the modules talk to each other through the interfaces in state.ts.
 */
import type { Cloud } from "../../cloud.js";
import type { Ec2Operations } from "../../generated/ec2.js";
import type { ServiceProvider } from "../types.js";
import { Ec2State } from "./state.js";

export type Ec2Module = Partial<Ec2Operations> & { onStart?(): void | Promise<void>; onReset?(): void | Promise<void> };

export class Ec2Provider implements ServiceProvider {
  readonly state: Ec2State;
  private readonly modules: Ec2Module[];

  constructor(readonly cloud: Cloud) {
    this.state = new Ec2State(cloud);
    this.modules = [];
    for (const module of this.modules) {
      for (const name of operationNames(module)) {
        const handler = (module as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
        (this as unknown as Record<string, unknown>)[name] = handler.bind(module);
      }
    }
  }

  async onStart(): Promise<void> {
    for (const module of this.modules) await module.onStart?.();
  }

  async onReset(): Promise<void> {
    for (const module of this.modules) await module.onReset?.();
  }
}

/** PascalCase methods of an object and its prototype chain: its operations. */
export function operationNames(target: object): string[] {
  const names = new Set<string>();
  for (let proto = target; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (/^[A-Z]/.test(name) && typeof (target as Record<string, unknown>)[name] === "function") names.add(name);
    }
  }
  return [...names];
}
