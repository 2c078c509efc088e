export { compileRuntime } from './compile-runtime.js';
export type { RuntimeInput } from './compile-runtime.js';
export type { Runtime } from './runtime.js';
export { RuntimeState } from './runtime-state.js';
export type { RuntimeStateOptions } from './runtime-state.js';
export { hashApiKey } from './api-key-auth.js';
