import type { Static, TSchema } from '@sinclair/typebox';
import type { FieldIssue } from '@hubpo/core';
import { AIModel } from './kinds/ai-model.js';
import { Consumer } from './kinds/consumer.js';
import { Policy } from './kinds/policy.js';
import { PromptTemplate } from './kinds/prompt-template.js';
import { Route } from './kinds/route.js';
import {
  checkAIModel,
  checkConsumer,
  checkPolicy,
  checkPromptTemplate,
  checkRoute,
} from './semantic-checks.js';
import { SchemaValidator } from './validate.js';
import type { ValidationResult } from './validate.js';

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date' | 'boolean';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

export interface KindInfo<S extends TSchema = TSchema> {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly schema: S;
  readonly printerColumns: readonly PrinterColumn[];
  /** Checks across fields that a schema cannot express; runs after the schema passed. */
  readonly semanticCheck: (value: Static<S>) => FieldIssue[];
}

const statusColumns: readonly PrinterColumn[] = [
  { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
  { name: 'Programmed', type: 'string', jsonPath: '.status.conditions[?(@.type=="Programmed")].status' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

function kindInfo<S extends TSchema>(info: KindInfo<S>): KindInfo<S> {
  return Object.freeze(info);
}

/** Every resource kind, in the order translation depends on them. */
export const KINDS = Object.freeze({
  Route: kindInfo({
    kind: 'Route',
    plural: 'routes',
    singular: 'route',
    shortNames: ['hr'],
    schema: Route,
    semanticCheck: checkRoute,
    printerColumns: [{ name: 'Hosts', type: 'string', jsonPath: '.spec.hostnames' }, ...statusColumns],
  }),
  AIModel: kindInfo({
    kind: 'AIModel',
    plural: 'aimodels',
    singular: 'aimodel',
    shortNames: ['aim'],
    schema: AIModel,
    semanticCheck: checkAIModel,
    printerColumns: [
      { name: 'Strategy', type: 'string', jsonPath: '.spec.strategy' },
      { name: 'Provider', type: 'string', jsonPath: '.spec.targets[0].provider' },
      ...statusColumns,
    ],
  }),
  PromptTemplate: kindInfo({
    kind: 'PromptTemplate',
    plural: 'prompttemplates',
    singular: 'prompttemplate',
    shortNames: ['pt'],
    schema: PromptTemplate,
    semanticCheck: checkPromptTemplate,
    printerColumns: [{ name: 'Model', type: 'string', jsonPath: '.spec.model' }, ...statusColumns],
  }),
  Consumer: kindInfo({
    kind: 'Consumer',
    plural: 'consumers',
    singular: 'consumer',
    shortNames: ['hc'],
    schema: Consumer,
    semanticCheck: checkConsumer,
    printerColumns: [{ name: 'Display', type: 'string', jsonPath: '.spec.displayName' }, ...statusColumns],
  }),
  Policy: kindInfo({
    kind: 'Policy',
    plural: 'policies',
    singular: 'policy',
    shortNames: ['hp'],
    schema: Policy,
    semanticCheck: checkPolicy,
    printerColumns: [
      { name: 'Target', type: 'string', jsonPath: '.spec.targetRefs[0].name' },
      ...statusColumns,
    ],
  }),
});

export type KindName = keyof typeof KINDS;
export const KIND_NAMES = Object.freeze(Object.keys(KINDS) as KindName[]);

export interface ResourceByKind {
  Route: Route;
  AIModel: AIModel;
  PromptTemplate: PromptTemplate;
  Consumer: Consumer;
  Policy: Policy;
}
export type AnyResource = ResourceByKind[KindName];

export function isKindName(value: string): value is KindName {
  return Object.prototype.hasOwnProperty.call(KINDS, value);
}

export function kindByPlural(plural: string): KindName | undefined {
  return KIND_NAMES.find((k) => KINDS[k].plural === plural);
}

const validators = new Map<KindName, SchemaValidator<AnyResource>>(
  KIND_NAMES.map((k) => [k, new SchemaValidator<AnyResource>(KINDS[k].schema)]),
);

/**
 * Validates a full resource of a kind: the schema first (types, formats, ranges, unknown
 * fields), then cross-field rules. Every issue names its field as a JSON pointer.
 */
export function validateResource<K extends KindName>(
  kind: K,
  value: unknown,
): ValidationResult<ResourceByKind[K]> {
  const validator = validators.get(kind);
  if (validator === undefined) throw new Error(`unknown kind ${kind}`);
  const result = validator.validate(value);
  if (!result.ok) return result;
  const check = KINDS[kind].semanticCheck as (value: AnyResource) => FieldIssue[];
  const issues = check(result.value);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: result.value as ResourceByKind[K] };
}
