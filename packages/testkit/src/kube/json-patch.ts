import { clone, deepEqual, isRecord } from './json-value.js';

/**
 * JSON Patch (RFC 6902, https://www.rfc-editor.org/rfc/rfc6902) over JSON Pointers (RFC 6901).
 * A malformed document throws `JsonPatchError` with `malformed: true` (the API server answers 400);
 * an operation that cannot be applied (missing path, failed `test`) throws with `malformed: false`
 * (the API server answers 422).
 */
export class JsonPatchError extends Error {
  readonly malformed: boolean;

  constructor(message: string, malformed: boolean) {
    super(message);
    this.name = 'JsonPatchError';
    this.malformed = malformed;
  }
}

interface Operation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  readonly value?: unknown;
  readonly hasValue: boolean;
}

type Container = Record<string, unknown> | unknown[];

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer "${pointer}"`, true);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parseOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) throw new JsonPatchError('a JSON patch must be an array of operations', true);
  return patch.map((raw, i) => {
    if (!isRecord(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') {
      throw new JsonPatchError(`operation ${i} needs string "op" and "path"`, true);
    }
    const from = raw['from'];
    if (from !== undefined && typeof from !== 'string')
      throw new JsonPatchError(`operation ${i}: "from" must be a string`, true);
    const hasValue = Object.prototype.hasOwnProperty.call(raw, 'value');
    return {
      op: raw['op'],
      path: raw['path'],
      ...(from === undefined ? {} : { from }),
      value: raw['value'],
      hasValue,
    };
  });
}

function arrayIndex(token: string, length: number, forInsert: boolean, pointer: string): number {
  if (forInsert && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token))
    throw new JsonPatchError(`invalid array index "${token}" in ${pointer}`, false);
  const index = Number(token);
  if (index > length || (!forInsert && index === length)) {
    throw new JsonPatchError(`array index ${index} out of bounds in ${pointer}`, false);
  }
  return index;
}

function resolveParent(doc: unknown, tokens: readonly string[], pointer: string): Container {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false, pointer)];
    else if (isRecord(node) && Object.prototype.hasOwnProperty.call(node, token)) node = node[token];
    else throw new JsonPatchError(`path ${pointer} does not exist`, false);
  }
  if (!Array.isArray(node) && !isRecord(node))
    throw new JsonPatchError(`path ${pointer} does not exist`, false);
  return node;
}

function getAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const parent = resolveParent(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false, pointer)];
  if (!Object.prototype.hasOwnProperty.call(parent, last))
    throw new JsonPatchError(`path ${pointer} does not exist`, false);
  return parent[last];
}

function addAt(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = resolveParent(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, pointer), 0, value);
  else parent[last] = value;
  return doc;
}

function removeAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new JsonPatchError('cannot remove the document root', false);
  const parent = resolveParent(doc, tokens, pointer);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false, pointer), 1);
  else if (Object.prototype.hasOwnProperty.call(parent, last)) delete parent[last];
  else throw new JsonPatchError(`unable to remove nonexistent key "${last}" at ${pointer}`, false);
  return doc;
}

function requireValue(op: Operation): unknown {
  if (!op.hasValue) throw new JsonPatchError(`operation "${op.op}" on ${op.path} needs a "value"`, true);
  return clone(op.value);
}

function requireFrom(op: Operation): string {
  if (op.from === undefined)
    throw new JsonPatchError(`operation "${op.op}" on ${op.path} needs a "from"`, true);
  return op.from;
}

function applyOne(doc: unknown, op: Operation): unknown {
  switch (op.op) {
    case 'add':
      return addAt(doc, op.path, requireValue(op));
    case 'remove':
      return removeAt(doc, op.path);
    case 'replace': {
      const value = requireValue(op);
      if (op.path === '') return value;
      getAt(doc, op.path);
      return addAt(removeAt(doc, op.path), op.path, value);
    }
    case 'move': {
      const from = requireFrom(op);
      const value = getAt(doc, from);
      return addAt(removeAt(doc, from), op.path, value);
    }
    case 'copy':
      return addAt(doc, op.path, clone(getAt(doc, requireFrom(op))));
    case 'test':
      if (!deepEqual(getAt(doc, op.path), requireValue(op))) {
        throw new JsonPatchError(`testing value ${op.path} failed`, false);
      }
      return doc;
    default:
      throw new JsonPatchError(`unknown JSON patch operation "${op.op}"`, true);
  }
}

/** Applies all operations atomically: the input is never modified; a failure applies nothing. */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  const operations = parseOperations(patch);
  let doc = clone(document);
  for (const op of operations) doc = applyOne(doc, op);
  return doc;
}
