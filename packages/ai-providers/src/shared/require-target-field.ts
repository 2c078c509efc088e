import { HubpoError } from '@hubpo/core';
import type { TargetConfig } from '../provider-adapter.js';

type StringField = 'endpoint' | 'apiVersion' | 'region' | 'project';

/** A target field the provider cannot work without; a missing one is a configuration error. */
export function requireTargetField(target: TargetConfig, field: StringField): string {
  const value = target[field];
  if (value === undefined || value.length === 0) {
    throw new HubpoError('VALIDATION', `target of provider ${target.provider} needs ${field}`, {
      issues: [{ path: `/target/${field}`, message: 'required' }],
      status: 500,
    });
  }
  return value;
}
