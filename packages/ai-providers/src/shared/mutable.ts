/** The writable version of a readonly type, for building values field by field. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
