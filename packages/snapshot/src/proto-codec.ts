import protobuf from 'protobufjs/light.js';
import { HubpoError } from '@hubpo/core';
import type { ErrorKind } from '@hubpo/core';

/** A message in the plain-object form protobufjs converts from and to. */
export type WireObject = Readonly<Record<string, unknown>>;

const toObjectOptions: protobuf.IConversionOptions = {
  longs: String, // exact; WireFields.long() checks the value is a safe integer
  defaults: true,
  arrays: true,
  objects: true,
};

/**
 * Encodes and decodes one protobuf message type to and from its hand-written TypeScript form.
 * `toWire` / `fromWire` map between the two; decode failures become HubpoErrors of `errorKind`.
 */
export class MessageCodec<T> {
  readonly typeName: string;
  readonly #type: protobuf.Type;
  readonly #toWire: (value: T) => WireObject;
  readonly #fromWire: (fields: WireFields) => T;
  readonly #errorKind: ErrorKind;
  readonly #direct: boolean;

  /**
   * `direct`: `toWire` already yields what protobufjs encodes as is (numbers for 32- and 64-bit
   * integers, booleans, strings, nested messages in the same form; no enum names, maps or
   * bytes as strings), so encoding skips protobufjs's `fromObject` conversion: the hot-path
   * usage messages use it.
   */
  constructor(
    root: protobuf.Root,
    typeName: string,
    toWire: (value: T) => WireObject,
    fromWire: (fields: WireFields) => T,
    errorKind: ErrorKind,
    direct = false,
  ) {
    this.typeName = typeName;
    this.#type = root.lookupType(typeName);
    this.#toWire = toWire;
    this.#fromWire = fromWire;
    this.#errorKind = errorKind;
    this.#direct = direct;
  }

  encode(value: T): Buffer {
    const wire = this.#toWire(value);
    const message = this.#direct ? wire : this.#type.fromObject(wire);
    const bytes = this.#type.encode(message).finish();
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  decode(bytes: Uint8Array): T {
    let object: Record<string, unknown>;
    try {
      object = this.#type.toObject(this.#type.decode(bytes), toObjectOptions);
    } catch (err) {
      throw new HubpoError(this.#errorKind, `cannot decode ${this.typeName}: ${errorText(err)}`, {
        cause: err,
      });
    }
    return this.#fromWire(new WireFields(object, this.typeName, this.#errorKind));
  }
}

/** Typed access to the fields of a decoded plain object (protobufjs `toObject` with defaults). */
export class WireFields {
  readonly #object: Record<string, unknown>;
  readonly #typeName: string;
  readonly #errorKind: ErrorKind;

  constructor(object: Record<string, unknown>, typeName: string, errorKind: ErrorKind) {
    this.#object = object;
    this.#typeName = typeName;
    this.#errorKind = errorKind;
  }

  string(field: string): string {
    return this.#typed(field, 'string') as string;
  }

  bool(field: string): boolean {
    return this.#typed(field, 'boolean') as boolean;
  }

  /** A 32-bit integer field. */
  int(field: string): number {
    return this.#typed(field, 'number') as number;
  }

  /** A 64-bit integer field, which must hold a safe integer. */
  long(field: string): number {
    const text = this.#typed(field, 'string') as string;
    const value = Number(text);
    if (!Number.isSafeInteger(value)) this.#fail(field, `${text} is not a safe integer`);
    return value;
  }

  bytes(field: string): Uint8Array {
    const value = this.#object[field];
    if (!(value instanceof Uint8Array)) this.#fail(field, 'not bytes');
    return value;
  }

  strings(field: string): string[] {
    const value = this.#object[field];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) this.#fail(field, 'not strings');
    return value as string[];
  }

  stringMap(field: string): Map<string, string> {
    const value = this.#object[field];
    if (typeof value !== 'object' || value === null) this.#fail(field, 'not a map');
    const map = new Map<string, string>();
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string') this.#fail(field, `value of ${k} is not a string`);
      map.set(k, v);
    }
    return map;
  }

  /** A message field: undefined when absent. */
  message<M>(field: string, read: (fields: WireFields) => M): M | undefined {
    const value = this.#object[field];
    if (value === null || value === undefined) return undefined;
    return read(this.#nested(field, value));
  }

  messages<M>(field: string, read: (fields: WireFields) => M): M[] {
    const value = this.#object[field];
    if (!Array.isArray(value)) this.#fail(field, 'not a list');
    return value.map((item: unknown) => read(this.#nested(field, item)));
  }

  #nested(field: string, value: unknown): WireFields {
    if (typeof value !== 'object' || value === null) this.#fail(field, 'not a message');
    return new WireFields(value as Record<string, unknown>, `${this.#typeName}.${field}`, this.#errorKind);
  }

  #typed(field: string, type: 'string' | 'boolean' | 'number'): unknown {
    const value = this.#object[field];
    if (typeof value !== type) this.#fail(field, `not a ${type}`);
    return value;
  }

  #fail(field: string, problem: string): never {
    throw new HubpoError(this.#errorKind, `cannot decode ${this.#typeName}: field ${field} is ${problem}`);
  }
}

/** A 64-bit field value to encode: must be a safe integer (negative only when `signed`). */
export function wireLong(value: number, field: string, signed = false): number {
  if (!Number.isSafeInteger(value) || (!signed && value < 0)) {
    throw new HubpoError(
      'SNAPSHOT_INVALID',
      `${field} must be a ${signed ? '' : 'non-negative '}safe integer, got ${value}`,
    );
  }
  return value;
}

/** A 32-bit unsigned field value to encode. */
export function wireUint32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new HubpoError('BAD_REQUEST', `${field} must be an unsigned 32-bit integer, got ${value}`);
  }
  return value;
}

export function wireMap(map: ReadonlyMap<string, string>): Record<string, string> {
  return Object.fromEntries(map);
}

export function loadRoot(descriptor: object): protobuf.Root {
  return protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
