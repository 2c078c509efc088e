import { DURATION_PATTERN } from './common.js';

const pattern = new RegExp(DURATION_PATTERN);
const unitMs: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 });

/** Milliseconds of a duration string (`250ms`, `10s`); `fallback` when it is undefined. */
export function parseDuration(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const match = pattern.exec(value);
  if (match === null) throw new Error(`invalid duration "${value}"`);
  return Number(match[1]) * (unitMs[match[2] ?? ''] ?? 1);
}
