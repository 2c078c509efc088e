import { HubpoError } from '@hubpo/core';

/**
 * Narrows a schema-checked string to its literal union. The `@hubpo/api` schemas type some enums
 * as plain strings; a value outside the list means the caller skipped validation.
 */
export function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new HubpoError(
    'TRANSLATION',
    `${field}: "${value}" is not one of ${allowed.join(', ')} (input not validated)`,
  );
}
