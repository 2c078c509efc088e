import { HubpoError } from '@hubpo/core';
import type {
  CacheControl,
  ChatRequest,
  ContentPart,
  MediaSource,
  Message,
  ToolChoice,
  ToolDefinition,
} from '../../internal/chat-request.js';
import type { TargetConfig } from '../../provider-adapter.js';
import { conversation, hoistedSystem, toolArgumentsObject } from '../../shared/chat-messages.js';
import type { JsonObject } from '../../shared/json-value.js';
import { thinkingBudget } from '../../shared/thinking-budget.js';

const CACHE_POINT: JsonObject = Object.freeze({ cachePoint: Object.freeze({ type: 'default' }) });

/**
 * The Converse / ConverseStream body (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html).
 * Media must be inline bytes (base64 in JSON); a `cacheControl` marker becomes a `cachePoint`
 * block after the block it marks; `top_k` and thinking go through
 * `additionalModelRequestFields` (Anthropic models' field names).
 */
export function buildConverseBody(req: ChatRequest, target: TargetConfig): JsonObject {
  const body: JsonObject = { ...(req.extensions.bedrock ?? {}) };
  body['messages'] = converseMessages(conversation(req));
  const system: JsonObject[] = [];
  for (const part of hoistedSystem(req)) pushWithCache(system, { text: part.text }, part.cacheControl);
  if (system.length > 0) body['system'] = system;
  const inference: JsonObject = {};
  if (req.maxTokens !== undefined) inference['maxTokens'] = req.maxTokens;
  if (req.temperature !== undefined) inference['temperature'] = req.temperature;
  if (req.topP !== undefined) inference['topP'] = req.topP;
  if (req.stop !== undefined && req.stop.length > 0) inference['stopSequences'] = req.stop;
  if (Object.keys(inference).length > 0) body['inferenceConfig'] = inference;
  const toolConfig = converseToolConfig(req.tools, req.toolChoice);
  if (toolConfig !== undefined) body['toolConfig'] = toolConfig;
  const additional: JsonObject = {};
  if (req.topK !== undefined) additional['top_k'] = req.topK;
  if (req.thinking?.kind === 'enabled')
    additional['thinking'] = { type: 'enabled', budget_tokens: thinkingBudget(req.thinking) };
  if (Object.keys(additional).length > 0) {
    const existing = body['additionalModelRequestFields'];
    body['additionalModelRequestFields'] = {
      ...(typeof existing === 'object' && existing !== null ? existing : {}),
      ...additional,
    };
  }
  if (target.extraBody !== undefined) Object.assign(body, target.extraBody);
  return body;
}

function pushWithCache(out: JsonObject[], block: JsonObject, cache: CacheControl | undefined): void {
  out.push(block);
  if (cache !== undefined) out.push(CACHE_POINT);
}

function converseToolConfig(
  tools: readonly ToolDefinition[],
  choice: ToolChoice | undefined,
): JsonObject | undefined {
  const specs: JsonObject[] = [];
  for (const tool of tools) {
    if (tool.kind === 'builtin') {
      if (tool.family === 'bedrock') specs.push({ ...tool.value });
      continue;
    }
    const spec: JsonObject = { name: tool.name };
    if (tool.description !== undefined) spec['description'] = tool.description;
    spec['inputSchema'] = { json: tool.parameters };
    pushWithCache(specs, { toolSpec: spec }, tool.cacheControl);
  }
  if (specs.length === 0) return undefined;
  const config: JsonObject = { tools: specs };
  // Converse has no "none": the caller must drop tools instead (checkCapabilities does not, so omit the choice).
  if (choice?.kind === 'auto') config['toolChoice'] = { auto: {} };
  else if (choice?.kind === 'required') config['toolChoice'] = { any: {} };
  else if (choice?.kind === 'tool') config['toolChoice'] = { tool: { name: choice.name } };
  return config;
}

function converseMessages(messages: readonly Message[]): JsonObject[] {
  const out: { role: 'user' | 'assistant'; content: JsonObject[] }[] = [];
  for (const message of messages) {
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks: JsonObject[] = [];
    for (const part of message.content) appendBlock(blocks, part);
    if (blocks.length === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  return out;
}

function appendBlock(out: JsonObject[], part: ContentPart): void {
  switch (part.kind) {
    case 'text':
      if (part.text.length > 0) pushWithCache(out, { text: part.text }, part.cacheControl);
      return;
    case 'image':
      pushWithCache(
        out,
        { image: { format: imageFormat(part.source), source: { bytes: inlineBytes(part.source) } } },
        part.cacheControl,
      );
      return;
    case 'document':
      pushWithCache(
        out,
        {
          document: {
            format: documentFormat(part.source),
            name: documentName(part.title),
            source: { bytes: inlineBytes(part.source) },
          },
        },
        part.cacheControl,
      );
      return;
    case 'tool_call':
      pushWithCache(
        out,
        {
          toolUse: {
            toolUseId: part.id,
            name: part.name,
            input: toolArgumentsObject(part.arguments, part.id),
          },
        },
        part.cacheControl,
      );
      return;
    case 'tool_result': {
      const content = part.content.map((inner) =>
        inner.kind === 'text'
          ? { text: inner.text }
          : { image: { format: imageFormat(inner.source), source: { bytes: inlineBytes(inner.source) } } },
      );
      const result: JsonObject = { toolUseId: part.toolCallId, content };
      if (part.isError === true) result['status'] = 'error';
      pushWithCache(out, { toolResult: result }, part.cacheControl);
      return;
    }
    case 'thinking':
      // Replayable only with the model provider's signature (Anthropic models on Bedrock).
      if (part.signature !== undefined)
        out.push({ reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } });
      return;
    case 'redacted_thinking':
      out.push({ reasoningContent: { redactedContent: part.data } });
      return;
    case 'opaque':
      if (part.family === 'bedrock') out.push({ ...part.value });
      return;
  }
}

function inlineBytes(source: MediaSource): string {
  if (source.kind === 'base64') return source.data;
  throw new HubpoError('UNSUPPORTED_FEATURE', 'bedrock takes media as inline bytes, not URLs', {
    issues: [{ path: '/messages', message: 'image and document URLs are not supported by this target' }],
  });
}

const IMAGE_FORMATS: Readonly<Record<string, string>> = Object.freeze({
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
});

const DOCUMENT_FORMATS: Readonly<Record<string, string>> = Object.freeze({
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'text/plain': 'txt',
  'text/html': 'html',
  'text/markdown': 'md',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
});

function imageFormat(source: MediaSource): string {
  return (source.kind === 'base64' ? IMAGE_FORMATS[source.mediaType] : undefined) ?? 'png';
}

function documentFormat(source: MediaSource): string {
  return (source.kind === 'base64' ? DOCUMENT_FORMATS[source.mediaType] : undefined) ?? 'pdf';
}

const DOCUMENT_NAME_DISALLOWED = /[^a-zA-Z0-9\s\-()[\]]/g;

/** Bedrock document names allow alphanumerics, whitespace, hyphens, parentheses and brackets. */
function documentName(title: string | undefined): string {
  const cleaned = (title ?? '').replace(DOCUMENT_NAME_DISALLOWED, ' ').trim();
  return cleaned.length > 0 ? cleaned : 'document';
}
