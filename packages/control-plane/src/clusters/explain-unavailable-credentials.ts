import { objectKey } from '@hubpo/translator';
import type { TranslateResult } from '@hubpo/translator';

/**
 * Adds why a held credential was not supplied to the object's ResolvedRefs=False message.
 * `unavailable` maps `objectKey(kind, namespace, name)` to the reason; the reason never holds a
 * credential value. Statuses of other objects, and other conditions, are returned unchanged.
 */
export function explainUnavailableCredentials(
  result: TranslateResult,
  unavailable: ReadonlyMap<string, string>,
): TranslateResult {
  return {
    objects: result.objects,
    statuses: result.statuses.map((s) => {
      const why = unavailable.get(objectKey(s.kind, s.namespace, s.name));
      if (why === undefined) return s;
      return {
        ...s,
        conditions: s.conditions.map((c) =>
          c.type === 'ResolvedRefs' && c.status === 'False' ? { ...c, message: `${c.message} (${why})` } : c,
        ),
      };
    }),
  };
}
