import { isKindName } from '@hubpo/api';
import type { KindName } from '@hubpo/api';

/** A hubpo.io object, as work queues key it: `<Kind>/<namespace>/<name>`. */
export interface ObjectRef {
  readonly kind: KindName;
  readonly namespace: string;
  readonly name: string;
}

export function objectKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function parseObjectKey(key: string): ObjectRef | undefined {
  const [kind, namespace, name, ...rest] = key.split('/');
  if (
    kind === undefined ||
    namespace === undefined ||
    name === undefined ||
    rest.length > 0 ||
    !isKindName(kind)
  ) {
    return undefined;
  }
  return { kind, namespace, name };
}
