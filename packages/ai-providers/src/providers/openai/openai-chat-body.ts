import type {
  ChatRequest,
  ContentPart,
  Message,
  TextPart,
  ToolChoice,
  ToolDefinition,
  WireFamily,
} from '../../internal/chat-request.js';
import type { TargetConfig } from '../../provider-adapter.js';
import { mediaUrl, toolResultText } from '../../shared/chat-messages.js';
import type { JsonObject } from '../../shared/json-value.js';
import { reasoningEffort } from '../../shared/thinking-budget.js';

/**
 * The differences between the OpenAI Chat Completions dialects Hubpo targets (OpenAI, Azure
 * OpenAI, OpenAI-compatible servers, Mistral). Defined once per adapter, frozen.
 */
export interface OpenAIDialect {
  /** Whose `extensions` and builtin tools pass through. */
  readonly family: WireFamily;
  readonly maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Azure takes the model from the deployment URL. */
  readonly sendModel: boolean;
  /** Keep the `developer` role (OpenAI); others get `system`. */
  readonly developerRole: boolean;
  readonly seedField: 'seed' | 'random_seed';
  readonly requiredToolChoice: 'required' | 'any';
  /** Send `reasoning_effort` for thinking requests. */
  readonly reasoningEffort: boolean;
  /** Send `top_k` (many OpenAI-compatible servers accept it; OpenAI does not). */
  readonly topK: boolean;
  /** Send `stream_options` (Mistral reports stream usage without it and rejects unknown fields). */
  readonly streamOptions: boolean;
  /** Mistral takes `image_url` as a plain string. */
  readonly imageUrlString: boolean;
  /** Rewrites tool call ids the provider would reject (Mistral wants 9 alphanumerics). */
  readonly toolCallId?: (id: string) => string;
}

/** The OpenAI-dialect JSON body of a chat request. */
export function buildOpenAIChatBody(
  req: ChatRequest,
  target: TargetConfig,
  dialect: OpenAIDialect,
): JsonObject {
  const body: JsonObject = { ...(req.extensions[dialect.family] ?? {}) };
  if (dialect.sendModel) body['model'] = target.model;
  body['messages'] = openAIMessages(req, dialect);
  const tools = openAITools(req.tools, dialect.family);
  if (tools.length > 0) body['tools'] = tools;
  if (req.toolChoice !== undefined) body['tool_choice'] = openAIToolChoice(req.toolChoice, dialect);
  if (req.parallelToolCalls !== undefined && tools.length > 0)
    body['parallel_tool_calls'] = req.parallelToolCalls;
  const format = req.responseFormat;
  if (format !== undefined) {
    body['response_format'] =
      format.kind === 'json_schema'
        ? { type: 'json_schema', json_schema: jsonSchemaFormat(format) }
        : { type: format.kind };
  }
  setIf(body, 'temperature', req.temperature);
  setIf(body, 'top_p', req.topP);
  if (dialect.topK) setIf(body, 'top_k', req.topK);
  setIf(body, dialect.maxTokensField, req.maxTokens);
  if (req.stop !== undefined && req.stop.length > 0) body['stop'] = req.stop;
  setIf(body, dialect.seedField, req.seed);
  setIf(body, 'n', req.n);
  setIf(body, 'logprobs', req.logprobs);
  setIf(body, 'top_logprobs', req.topLogprobs);
  setIf(body, 'presence_penalty', req.presencePenalty);
  setIf(body, 'frequency_penalty', req.frequencyPenalty);
  if (dialect.family === 'openai') {
    setIf(body, 'user', req.user);
    setIf(body, 'metadata', req.metadata);
  }
  if (dialect.reasoningEffort) setIf(body, 'reasoning_effort', reasoningEffort(req.thinking));
  if (req.stream) {
    body['stream'] = true;
    // Always ask for usage: cost needs it. The client's own choice is applied when rendering.
    if (dialect.streamOptions) body['stream_options'] = { include_usage: true };
  } else {
    body['stream'] = false;
  }
  if (target.extraBody !== undefined) Object.assign(body, target.extraBody);
  return body;
}

function setIf(body: JsonObject, key: string, value: unknown): void {
  if (value !== undefined) body[key] = value;
}

function jsonSchemaFormat(
  format: Extract<ChatRequest['responseFormat'], { kind: 'json_schema' }>,
): JsonObject {
  const out: JsonObject = { name: format.name, schema: format.schema };
  if (format.description !== undefined) out['description'] = format.description;
  if (format.strict !== undefined) out['strict'] = format.strict;
  return out;
}

function openAIToolChoice(choice: ToolChoice, dialect: OpenAIDialect): unknown {
  switch (choice.kind) {
    case 'auto':
    case 'none':
      return choice.kind;
    case 'required':
      return dialect.requiredToolChoice;
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
  }
}

function openAITools(tools: readonly ToolDefinition[], family: WireFamily): JsonObject[] {
  const out: JsonObject[] = [];
  for (const tool of tools) {
    if (tool.kind === 'builtin') {
      if (tool.family === family) out.push({ ...tool.value });
      continue;
    }
    const fn: JsonObject = { name: tool.name };
    if (tool.description !== undefined) fn['description'] = tool.description;
    fn['parameters'] = tool.parameters;
    if (tool.strict !== undefined) fn['strict'] = tool.strict;
    out.push({ type: 'function', function: fn });
  }
  return out;
}

function openAIMessages(req: ChatRequest, dialect: OpenAIDialect): JsonObject[] {
  const out: JsonObject[] = [];
  if (req.system.length > 0) out.push({ role: 'system', content: textContent(req.system) });
  for (const message of req.messages) appendMessage(out, message, dialect);
  return out;
}

/** A single string for one block (the common case), else an array of text parts. */
function textContent(parts: readonly TextPart[]): string | JsonObject[] {
  if (parts.length === 1) return (parts[0] as TextPart).text;
  return parts.map((p) => ({ type: 'text', text: p.text }));
}

function appendMessage(out: JsonObject[], message: Message, dialect: OpenAIDialect): void {
  switch (message.role) {
    case 'system':
    case 'developer': {
      const texts = message.content.filter((p): p is TextPart => p.kind === 'text');
      const role = message.role === 'developer' && dialect.developerRole ? 'developer' : 'system';
      out.push(named({ role, content: textContent(texts) }, message));
      return;
    }
    case 'assistant':
      out.push(named(assistantMessage(message.content, dialect), message));
      return;
    case 'user':
    case 'tool':
      appendUserOrTool(out, message, dialect);
      return;
  }
}

function named(body: JsonObject, message: Message): JsonObject {
  if (message.name !== undefined) body['name'] = message.name;
  return body;
}

function assistantMessage(content: readonly ContentPart[], dialect: OpenAIDialect): JsonObject {
  let text = '';
  let hasText = false;
  const toolCalls: JsonObject[] = [];
  for (const part of content) {
    if (part.kind === 'text') {
      text += part.text;
      hasText = true;
    } else if (part.kind === 'tool_call') {
      const id = dialect.toolCallId === undefined ? part.id : dialect.toolCallId(part.id);
      toolCalls.push({ id, type: 'function', function: { name: part.name, arguments: part.arguments } });
    }
    // Thinking has no place in the OpenAI dialect: other providers' reasoning is not replayable here.
  }
  const body: JsonObject = { role: 'assistant', content: hasText || toolCalls.length === 0 ? text : null };
  if (toolCalls.length > 0) body['tool_calls'] = toolCalls;
  return body;
}

/**
 * User and tool messages. Tool results become `role: tool` messages (Anthropic ingress carries
 * them inside user messages); they go first, since they answer the previous assistant turn.
 */
function appendUserOrTool(out: JsonObject[], message: Message, dialect: OpenAIDialect): void {
  const parts: JsonObject[] = [];
  for (const part of message.content) {
    if (part.kind === 'tool_result') {
      const id = dialect.toolCallId === undefined ? part.toolCallId : dialect.toolCallId(part.toolCallId);
      out.push({ role: 'tool', tool_call_id: id, content: toolResultText(part) });
      continue;
    }
    const converted = userPart(part, dialect);
    if (converted !== undefined) parts.push(converted);
  }
  if (parts.length === 0) return;
  const onlyText = parts.length === 1 && parts[0]?.['type'] === 'text';
  out.push(named({ role: 'user', content: onlyText ? (parts[0] as JsonObject)['text'] : parts }, message));
}

function userPart(part: ContentPart, dialect: OpenAIDialect): JsonObject | undefined {
  switch (part.kind) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const url = mediaUrl(part.source);
      if (dialect.imageUrlString) return { type: 'image_url', image_url: url };
      const image: JsonObject = { url };
      if (part.detail !== undefined) image['detail'] = part.detail;
      return { type: 'image_url', image_url: image };
    }
    case 'document': {
      // Chat Completions takes inline files only; a URL document cannot be sent.
      if (part.source.kind !== 'base64') return undefined;
      const file: JsonObject = { file_data: mediaUrl(part.source) };
      if (part.title !== undefined) file['filename'] = part.title;
      return { type: 'file', file };
    }
    case 'opaque':
      return part.family === dialect.family ? { ...part.value } : undefined;
    case 'tool_call':
    case 'tool_result':
    case 'thinking':
    case 'redacted_thinking':
      return undefined;
  }
}
