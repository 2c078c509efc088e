import { HubpoError } from '@hubpo/core';
import type { FieldIssue } from '@hubpo/core';
import type { JsonObject } from '../shared/json-value.js';
import { isObject } from '../shared/json-value.js';
import { bodyText } from '../shared/utf8.js';

/**
 * Collects field issues while an ingress parser walks a client body, so one response names
 * every problem at once (JSON-pointer paths such as `/messages/0/content`).
 */
export class RequestReader {
  readonly issues: FieldIssue[] = [];

  issue(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  string(obj: JsonObject, key: string, path: string, required = false): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.issue(`${path}/${key}`, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.issue(`${path}/${key}`, 'must be a string');
      return undefined;
    }
    return v;
  }

  number(
    obj: JsonObject,
    key: string,
    path: string,
    range: { min?: number; max?: number; integer?: boolean } = {},
  ): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.issue(`${path}/${key}`, 'must be a number');
      return undefined;
    }
    if (range.integer === true && !Number.isInteger(v)) this.issue(`${path}/${key}`, 'must be an integer');
    else if (range.min !== undefined && v < range.min)
      this.issue(`${path}/${key}`, `must be >= ${range.min}`);
    else if (range.max !== undefined && v > range.max)
      this.issue(`${path}/${key}`, `must be <= ${range.max}`);
    else return v;
    return undefined;
  }

  boolean(obj: JsonObject, key: string, path: string): boolean | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.issue(`${path}/${key}`, 'must be a boolean');
      return undefined;
    }
    return v;
  }

  object(obj: JsonObject, key: string, path: string): JsonObject | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) {
      this.issue(`${path}/${key}`, 'must be an object');
      return undefined;
    }
    return v;
  }

  array(obj: JsonObject, key: string, path: string, required = false): readonly unknown[] | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.issue(`${path}/${key}`, 'is required');
      return undefined;
    }
    if (!Array.isArray(v)) {
      this.issue(`${path}/${key}`, 'must be an array');
      return undefined;
    }
    return v;
  }

  /** Throws the collected issues as one VALIDATION error (HTTP 400, as the upstream APIs answer). */
  throwIfAny(): void {
    if (this.issues.length === 0) return;
    const first = this.issues[0] as FieldIssue;
    const more = this.issues.length > 1 ? ` (and ${this.issues.length - 1} more)` : '';
    throw new HubpoError('VALIDATION', `${first.path.slice(1) || 'body'}: ${first.message}${more}`, {
      issues: this.issues,
      status: 400,
    });
  }
}

/** The request body as a JSON object: parses bytes or text, rejects anything that is not an object. */
export function requestObject(body: unknown): JsonObject {
  let value = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    try {
      value = JSON.parse(bodyText(body)) as unknown;
    } catch {
      throw new HubpoError('BAD_REQUEST', 'request body is not valid JSON', {
        issues: [{ path: '', message: 'invalid JSON' }],
      });
    }
  }
  if (!isObject(value)) {
    throw new HubpoError('BAD_REQUEST', 'request body must be a JSON object', {
      issues: [{ path: '', message: 'must be an object' }],
    });
  }
  return value;
}

/** The entries of `obj` whose keys are not in `known`: kept as the family's `extensions`. */
export function unknownFields(obj: JsonObject, known: ReadonlySet<string>): JsonObject | undefined {
  let out: JsonObject | undefined;
  for (const key of Object.keys(obj)) {
    if (known.has(key)) continue;
    out ??= {};
    out[key] = obj[key];
  }
  return out;
}
