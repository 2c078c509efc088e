import type { KindName } from '@hubpo/api';

/** Key of a resource across kinds: `<Kind>/<namespace>/<name>` (the key of `TranslateInput.origins`). */
export function objectKey(kind: KindName, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}
