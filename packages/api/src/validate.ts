import { FormatRegistry } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import type { FieldIssue } from '@hubpo/core';

FormatRegistry.Set('uri', (value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
});
FormatRegistry.Set(
  'date-time',
  (value) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}T/.test(value),
);

/** At most this many issues are reported for one object, so a huge bad body yields a small error. */
const MAX_ISSUES = 20;

export type ValidationResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly FieldIssue[] };

/** A compiled schema check that reports issues as JSON pointers. */
export class SchemaValidator<T> {
  readonly #check: TypeCheck<TSchema>;

  constructor(schema: TSchema) {
    this.#check = TypeCompiler.Compile(schema);
  }

  validate(value: unknown): ValidationResult<T> {
    if (this.#check.Check(value)) return { ok: true, value: value as T };
    const issues: FieldIssue[] = [];
    const seen = new Set<string>();
    for (const error of this.#check.Errors(value)) {
      // A union reports one error per branch at the same path; the first is the clearest.
      if (seen.has(error.path)) continue;
      seen.add(error.path);
      issues.push({ path: error.path || '/', message: describe(error.message, error.schema) });
      if (issues.length >= MAX_ISSUES) break;
    }
    return { ok: false, issues: pruneParents(issues) };
  }
}

function describe(message: string, schema: TSchema): string {
  const allowed = literalValues(schema);
  if (allowed !== undefined) return `must be one of: ${allowed.join(', ')}`;
  if (typeof schema['pattern'] === 'string' && typeof schema['description'] === 'string') {
    return `${message}: ${schema['description']}`;
  }
  return message;
}

function literalValues(schema: TSchema): string[] | undefined {
  const anyOf = schema['anyOf'] as TSchema[] | undefined;
  if (!Array.isArray(anyOf) || !anyOf.every((s) => s['const'] !== undefined)) return undefined;
  return anyOf.map((s) => String(s['const']));
}

/** Drops "expected object" style issues on a parent when a child path explains them. */
function pruneParents(issues: FieldIssue[]): FieldIssue[] {
  return issues.filter((issue) => !issues.some((o) => o !== issue && o.path.startsWith(`${issue.path}/`)));
}
