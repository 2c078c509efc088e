import { HubpoError } from '@hubpo/core';
import type {
  ChatRequest,
  ContentPart,
  Message,
  ToolChoice,
  ToolDefinition,
} from '../../internal/chat-request.js';
import type { TargetConfig } from '../../provider-adapter.js';
import {
  conversation,
  hoistedSystem,
  toolArgumentsObject,
  toolNamesById,
  toolResultText,
} from '../../shared/chat-messages.js';
import type { JsonObject } from '../../shared/json-value.js';
import { isObject, tryParseJson } from '../../shared/json-value.js';
import { thinkingBudget } from '../../shared/thinking-budget.js';

/**
 * The `generateContent` body (https://ai.google.dev/api/generate-content) of a chat request.
 * Roles are `user` and `model`; function results travel as `functionResponse` parts in user
 * turns, named after the call they answer; consecutive turns of one role are merged.
 */
export function buildGeminiBody(req: ChatRequest, target: TargetConfig): JsonObject {
  const body: JsonObject = { ...(req.extensions.gemini ?? {}) };
  const turns = conversation(req);
  body['contents'] = geminiContents(turns, toolNamesById(turns));
  const system = hoistedSystem(req);
  if (system.length > 0) body['systemInstruction'] = { parts: system.map((p) => ({ text: p.text })) };
  const tools = geminiTools(req.tools);
  if (tools.length > 0) body['tools'] = tools;
  if (req.toolChoice !== undefined)
    body['toolConfig'] = { functionCallingConfig: functionCallingConfig(req.toolChoice) };
  const generationConfig = geminiGenerationConfig(req);
  if (Object.keys(generationConfig).length > 0) body['generationConfig'] = generationConfig;
  if (target.extraBody !== undefined) Object.assign(body, target.extraBody);
  return body;
}

function geminiGenerationConfig(req: ChatRequest): JsonObject {
  const config: JsonObject = {};
  if (req.temperature !== undefined) config['temperature'] = req.temperature;
  if (req.topP !== undefined) config['topP'] = req.topP;
  if (req.topK !== undefined) config['topK'] = req.topK;
  if (req.maxTokens !== undefined) config['maxOutputTokens'] = req.maxTokens;
  if (req.stop !== undefined && req.stop.length > 0) config['stopSequences'] = req.stop;
  if (req.n !== undefined) config['candidateCount'] = req.n;
  if (req.seed !== undefined) config['seed'] = req.seed;
  if (req.presencePenalty !== undefined) config['presencePenalty'] = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) config['frequencyPenalty'] = req.frequencyPenalty;
  if (req.logprobs === true) {
    config['responseLogprobs'] = true;
    if (req.topLogprobs !== undefined) config['logprobs'] = req.topLogprobs;
  }
  const format = req.responseFormat;
  if (format?.kind === 'json_object') config['responseMimeType'] = 'application/json';
  if (format?.kind === 'json_schema') {
    config['responseMimeType'] = 'application/json';
    config['responseJsonSchema'] = format.schema;
  }
  if (req.thinking !== undefined) {
    config['thinkingConfig'] =
      req.thinking.kind === 'enabled'
        ? { thinkingBudget: thinkingBudget(req.thinking), includeThoughts: true }
        : { thinkingBudget: 0 };
  }
  return config;
}

function functionCallingConfig(choice: ToolChoice): JsonObject {
  switch (choice.kind) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    case 'tool':
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

function geminiTools(tools: readonly ToolDefinition[]): JsonObject[] {
  const declarations: JsonObject[] = [];
  const out: JsonObject[] = [];
  for (const tool of tools) {
    if (tool.kind === 'builtin') {
      if (tool.family === 'gemini') out.push({ ...tool.value });
      continue;
    }
    const declaration: JsonObject = { name: tool.name };
    if (tool.description !== undefined) declaration['description'] = tool.description;
    // JSON Schema as given; `parameters` would need the OpenAPI subset.
    declaration['parametersJsonSchema'] = tool.parameters;
    declarations.push(declaration);
  }
  if (declarations.length > 0) out.unshift({ functionDeclarations: declarations });
  return out;
}

function geminiContents(messages: readonly Message[], names: ReadonlyMap<string, string>): JsonObject[] {
  const out: { role: string; parts: JsonObject[] }[] = [];
  for (const message of messages) {
    const role = message.role === 'assistant' ? 'model' : 'user';
    const parts: JsonObject[] = [];
    for (const part of message.content) {
      const converted = geminiPart(part, names);
      if (converted !== undefined) parts.push(converted);
    }
    if (parts.length === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else out.push({ role, parts });
  }
  return out;
}

function geminiPart(part: ContentPart, names: ReadonlyMap<string, string>): JsonObject | undefined {
  switch (part.kind) {
    case 'text':
      return part.text.length === 0 ? undefined : { text: part.text };
    case 'image':
    case 'document':
      return part.source.kind === 'base64'
        ? { inlineData: { mimeType: part.source.mediaType, data: part.source.data } }
        : { fileData: { fileUri: part.source.url, mimeType: guessMimeType(part.source.url, part.kind) } };
    case 'tool_call': {
      const out: JsonObject = {
        functionCall: { name: part.name, args: toolArgumentsObject(part.arguments, part.id) },
      };
      if (part.signature !== undefined) out['thoughtSignature'] = part.signature;
      return out;
    }
    case 'tool_result': {
      const name = names.get(part.toolCallId);
      if (name === undefined) {
        throw new HubpoError(
          'BAD_REQUEST',
          `tool result ${part.toolCallId} answers no tool call in the conversation`,
          {
            issues: [{ path: '/messages', message: `no tool call with id ${part.toolCallId}` }],
          },
        );
      }
      return {
        functionResponse: {
          name,
          response: functionResponse(
            part.content.length === 0 ? '' : toolResultText(part),
            part.isError === true,
          ),
        },
      };
    }
    case 'thinking':
    case 'redacted_thinking':
      // Gemini thought summaries are not replayed; continuity travels in thoughtSignature.
      return undefined;
    case 'opaque':
      return part.family === 'gemini' ? { ...part.value } : undefined;
  }
}

/** `response` must be an object: a JSON object result is sent as is, anything else wrapped. */
function functionResponse(text: string, isError: boolean): JsonObject {
  const parsed = tryParseJson(text);
  if (!isError && isObject(parsed)) return parsed;
  return isError ? { error: parsed ?? text } : { result: parsed ?? text };
}

const EXTENSION_MIME: Readonly<Record<string, string>> = Object.freeze({
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  pdf: 'application/pdf',
});

function guessMimeType(url: string, kind: 'image' | 'document'): string {
  const dot = url.lastIndexOf('.');
  const ext = dot === -1 ? '' : url.slice(dot + 1).toLowerCase();
  return EXTENSION_MIME[ext] ?? (kind === 'image' ? 'image/jpeg' : 'application/pdf');
}
