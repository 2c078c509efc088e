export { createTestPki } from './create-test-pki.js';
export type { TestPki } from './create-test-pki.js';
