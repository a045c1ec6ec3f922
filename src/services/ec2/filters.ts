/**
 * The Describe* filter engine every EC2 operation shares.
 *
 * A request's filters are ANDed; the values of one filter are ORed. Values
 * may use `*` (any run of characters) and `?` (exactly one), with `\` to
 * escape them; matching is case-sensitive, as in EC2. Booleans compare as
 * "true"/"false", numbers as their decimal text, dates as ISO-8601 with
 * milliseconds. `tag:<key>`, `tag-key` and `tag-value` come for free when the
 * resource has tags.
 */
import type { Filter, Tag } from "../../generated/ec2.js";
import { Ec2Errors } from "./errors.js";

export type FilterScalar = string | number | boolean | Date | null | undefined;
/** What a filter name reads from a resource: one value, or several (any may match). */
export type FilterField<T> = (item: T) => FilterScalar | readonly FilterScalar[];

export interface FilterSpec<T> {
  fields: Record<string, FilterField<T>>;
  /** The resource's tags: enables tag:<key>, tag-key and tag-value. */
  tags?: (item: T) => readonly Tag[] | undefined;
}

export type Predicate<T> = (item: T) => boolean;

interface ValueMatcher {
  exact: Set<string>;
  patterns: RegExp[];
}

/** Compiles filters once per request into one predicate. Unknown names answer InvalidParameterValue. */
export function compileFilters<T>(filters: readonly Filter[] | undefined, spec: FilterSpec<T>): Predicate<T> {
  if (!filters || filters.length === 0) return () => true;
  const predicates: Array<Predicate<T>> = filters.map((filter) => compileOne(filter, spec));
  return (item) => {
    for (const predicate of predicates) if (!predicate(item)) return false;
    return true;
  };
}

/** Filters a list (keeps order). */
export function applyFilters<T>(items: readonly T[], filters: readonly Filter[] | undefined, spec: FilterSpec<T>): T[] {
  const predicate = compileFilters(filters, spec);
  return items.filter(predicate);
}

function compileOne<T>(filter: Filter, spec: FilterSpec<T>): Predicate<T> {
  const name = filter.Name;
  if (!name) throw Ec2Errors.invalidFilter(String(name ?? "null"));
  const values = filter.Values ?? [];
  const matcher = compileValues(values);
  if (spec.tags && name.startsWith("tag:")) {
    const key = name.slice(4);
    const tagsOf = spec.tags;
    return (item) => {
      const tags = tagsOf(item);
      if (!tags) return false;
      for (const tag of tags) if (tag.Key === key && matches(matcher, tag.Value ?? "")) return true;
      return false;
    };
  }
  if (spec.tags && (name === "tag-key" || name === "tag-value")) {
    const tagsOf = spec.tags;
    const pick = name === "tag-key" ? (tag: Tag) => tag.Key ?? "" : (tag: Tag) => tag.Value ?? "";
    return (item) => {
      const tags = tagsOf(item);
      if (!tags) return false;
      for (const tag of tags) if (matches(matcher, pick(tag))) return true;
      return false;
    };
  }
  const field = Object.prototype.hasOwnProperty.call(spec.fields, name) ? spec.fields[name] : undefined;
  if (!field) throw Ec2Errors.invalidFilter(name);
  return (item) => {
    const raw = field(item);
    if (Array.isArray(raw)) {
      for (const value of raw as readonly FilterScalar[]) if (value !== undefined && value !== null && matches(matcher, text(value))) return true;
      return false;
    }
    const value = raw as FilterScalar;
    return value !== undefined && value !== null && matches(matcher, text(value));
  };
}

function text(value: Exclude<FilterScalar, null | undefined>): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

function matches(matcher: ValueMatcher, value: string): boolean {
  if (matcher.exact.has(value)) return true;
  for (const pattern of matcher.patterns) if (pattern.test(value)) return true;
  return false;
}

function compileValues(values: readonly string[]): ValueMatcher {
  const matcher: ValueMatcher = { exact: new Set(), patterns: [] };
  for (const value of values) {
    const compiled = wildcard(value);
    if (typeof compiled === "string") matcher.exact.add(compiled);
    else matcher.patterns.push(compiled);
  }
  return matcher;
}

/** A filter value as an exact string (no unescaped wildcard) or an anchored RegExp. */
export function wildcard(value: string): string | RegExp {
  let literal = "";
  let source = "";
  let hasWildcard = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === "\\" && i + 1 < value.length && (value[i + 1] === "*" || value[i + 1] === "?" || value[i + 1] === "\\")) {
      literal += value[i + 1];
      source += escapeRegExp(value[i + 1]);
      i++;
    } else if (c === "*") {
      hasWildcard = true;
      source += "[\\s\\S]*";
    } else if (c === "?") {
      hasWildcard = true;
      source += "[\\s\\S]";
    } else {
      literal += c;
      source += escapeRegExp(c);
    }
  }
  return hasWildcard ? new RegExp(`^${source}$`) : literal;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** Filters every tagged resource answers, to spread into a spec's fields when a resource has no special ones. */
export function tagsOf<T extends { Tags?: Tag[] }>(item: T): Tag[] | undefined {
  return item.Tags;
}
