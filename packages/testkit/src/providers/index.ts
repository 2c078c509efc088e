export { startMockProvider } from './start-mock-provider.js';
export type {
  MockCall,
  MockFault,
  MockProviderOptions,
  MockProviderServer,
  MockUsageRecord,
} from './start-mock-provider.js';
export { MOCK_PROVIDER_KINDS } from './mock-provider-kind.js';
export type { MockProviderKind } from './mock-provider-kind.js';
export {
  DEFAULT_TOOL_TRIGGER,
  MOCK_PROVIDER_DEFAULT_REPLY,
  promptTokens,
  tokenCount,
} from './mock-answer.js';
export type { MockAnswerOptions } from './mock-answer.js';
export type {
  MockAnswer,
  MockChat,
  MockChatMessage,
  MockChatTool,
  MockTokenCounts,
  MockToolChoice,
} from './mock-chat.js';
export { refusedUrl } from './refused-url.js';
