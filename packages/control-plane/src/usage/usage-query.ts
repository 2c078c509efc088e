import { HubpoError } from '@hubpo/core';
import type { FieldIssue } from '@hubpo/core';
import { decodeUsageCursor } from './usage-cursor-token.js';
import { USAGE_GROUP_BY } from './usage-store.js';
import type { UsageCursor, UsageFilter, UsageGroupBy } from './usage-store.js';

export const USAGE_DEFAULT_LIMIT = 100;
export const USAGE_MAX_LIMIT = 1000;

type Query = Readonly<Record<string, unknown>>;

const FILTER_PARAMS = ['consumer', 'model', 'target', 'provider', 'cluster', 'since', 'until'] as const;
const LIST_PARAMS = new Set<string>([...FILTER_PARAMS, 'limit', 'continue']);
const SUMMARY_PARAMS = new Set<string>([...FILTER_PARAMS, 'groupBy']);
/** RFC 3339 date-time with an explicit offset (`2026-01-31T12:00:00Z`, `...+02:00`). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

export interface UsageListQuery {
  readonly filter: UsageFilter;
  readonly limit: number;
  readonly after?: UsageCursor;
}

export interface UsageSummaryQuery {
  readonly filter: UsageFilter;
  readonly groupBy: UsageGroupBy;
}

/** `GET /api/v1/usage` parameters; every problem is reported at once (400 with `issues`). */
export function parseUsageListQuery(query: Query): UsageListQuery {
  const issues: FieldIssue[] = [];
  const filter = parseFilter(query, LIST_PARAMS, issues);
  const limitText = single(query, 'limit', issues);
  const limit = limitText === undefined ? USAGE_DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > USAGE_MAX_LIMIT) {
    issues.push({ path: 'limit', message: `must be a whole number from 1 to ${USAGE_MAX_LIMIT}` });
  }
  const token = single(query, 'continue', issues);
  fail(issues);
  return { filter, limit, ...(token === undefined ? {} : { after: decodeUsageCursor(token, filter) }) };
}

/** `GET /api/v1/usage/summary` parameters. */
export function parseUsageSummaryQuery(query: Query): UsageSummaryQuery {
  const issues: FieldIssue[] = [];
  const filter = parseFilter(query, SUMMARY_PARAMS, issues);
  const groupBy = single(query, 'groupBy', issues) ?? 'model';
  if (!(USAGE_GROUP_BY as readonly string[]).includes(groupBy)) {
    issues.push({ path: 'groupBy', message: `must be one of ${USAGE_GROUP_BY.join(', ')}` });
  }
  fail(issues);
  return { filter, groupBy: groupBy as UsageGroupBy };
}

function parseFilter(query: Query, allowed: ReadonlySet<string>, issues: FieldIssue[]): UsageFilter {
  for (const name of Object.keys(query)) {
    if (!allowed.has(name)) issues.push({ path: name, message: 'unknown parameter' });
  }
  const filter: { -readonly [K in keyof UsageFilter]: UsageFilter[K] } = {};
  for (const name of ['consumer', 'model', 'target', 'provider', 'cluster'] as const) {
    const value = single(query, name, issues);
    if (value !== undefined) filter[name] = value;
  }
  for (const name of ['since', 'until'] as const) {
    const value = single(query, name, issues);
    if (value === undefined) continue;
    const at = RFC3339.test(value) ? new Date(value) : undefined;
    if (at === undefined || Number.isNaN(at.getTime())) {
      issues.push({ path: name, message: 'must be an RFC 3339 date-time, e.g. 2026-01-31T00:00:00Z' });
    } else {
      filter[name] = at;
    }
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.since >= filter.until) {
    issues.push({ path: 'until', message: 'must be later than since' });
  }
  return filter;
}

/** One value of a query parameter (undefined when absent); repeated parameters are an issue. */
function single(query: Query, name: string, issues: FieldIssue[]): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    issues.push({ path: name, message: 'give this parameter once' });
    return undefined;
  }
  if (value.length > 512) {
    issues.push({ path: name, message: 'is longer than 512 characters' });
    return undefined;
  }
  return value;
}

function fail(issues: readonly FieldIssue[]): void {
  if (issues.length > 0) {
    throw new HubpoError('BAD_REQUEST', 'invalid query parameters', { issues });
  }
}
