/**
 * S3: the provider composes the core's modules (buckets, objects, multipart,
 * listing, versioning) with extension modules (modules.ts), and owns what
 * they share: the metadata store, the blob store and the hooks.
 */
import type { Cloud } from "../../cloud.js";
import type { ServiceProvider } from "../types.js";
import { defaultHooks, type S3Hooks } from "./hooks.js";
import { EXTENSIONS, type S3Module, type S3ModuleFactory } from "./modules.js";

/** The core's own modules, in order. */
const CORE_MODULES: S3ModuleFactory[] = [];

export class S3Provider implements ServiceProvider {
  /** Encryption, authorization, events and response extras; extensions replace or extend them. */
  readonly hooks: S3Hooks = defaultHooks();
  private readonly modules: S3Module[] = [];

  constructor(readonly cloud: Cloud) {
    for (const factory of [...CORE_MODULES, ...EXTENSIONS]) this.modules.push(factory(this));
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

  async onStop(): Promise<void> {
    for (const module of this.modules) await module.onStop?.();
  }
}

function operationNames(target: object): string[] {
  const names = new Set<string>();
  for (let proto = target; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (/^[A-Z]/.test(name) && typeof (target as Record<string, unknown>)[name] === "function") names.add(name);
    }
  }
  return [...names];
}
