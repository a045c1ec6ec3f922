/**
 * Providers composed of modules (one per family of operations): the
 * PascalCase methods of each module become the provider's operations.
 */

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

/** Binds every operation of every module onto the provider. */
export function composeOperations(provider: object, modules: readonly object[]): void {
  for (const module of modules) {
    for (const name of operationNames(module)) {
      const handler = (module as Record<string, (...args: unknown[]) => unknown>)[name];
      (provider as Record<string, unknown>)[name] = handler.bind(module);
    }
  }
}
