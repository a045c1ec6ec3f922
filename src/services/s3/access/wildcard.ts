/** IAM wildcard matching: `*` any run of characters, `?` any one character. */
const cache = new Map<string, RegExp>();

export function wildcardToRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const id = `${ignoreCase ? "i" : "s"}:${pattern}`;
  let re = cache.get(id);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]");
    re = new RegExp(`^${body}$`, ignoreCase ? "i" : "");
    if (cache.size > 5000) cache.clear();
    cache.set(id, re);
  }
  return re;
}

export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === "*") return true;
  if (!pattern.includes("*") && !pattern.includes("?")) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  return wildcardToRegExp(pattern, ignoreCase).test(value);
}

export function hasWildcard(value: string): boolean {
  return value.includes("*") || value.includes("?");
}
