import type {
  ChatRequest,
  ContentPart,
  Message,
  ReasoningEffort,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDefinition,
} from '../../internal/chat-request.js';
import { mediaSourceFromUrl } from '../../shared/chat-messages.js';
import type { JsonObject } from '../../shared/json-value.js';
import { isObject } from '../../shared/json-value.js';
import type { Mutable } from '../../shared/mutable.js';
import { RequestReader, requestObject, unknownFields } from '../request-reader.js';

const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'n',
  'logprobs',
  'top_logprobs',
  'presence_penalty',
  'frequency_penalty',
  'user',
  'metadata',
  'stream',
  'stream_options',
  'reasoning_effort',
]);

const EFFORTS: ReadonlySet<string> = new Set(['minimal', 'low', 'medium', 'high']);

/**
 * Parses and validates an OpenAI `POST /v1/chat/completions` body
 * (https://platform.openai.com/docs/api-reference/chat/create) into the internal form. Fields
 * the internal form does not model are kept in `extensions.openai`; unknown content parts are
 * kept as opaque OpenAI parts. Throws VALIDATION (HTTP 400) naming every bad field.
 */
export function parseOpenAIChatRequest(body: unknown): ChatRequest {
  const obj = requestObject(body);
  const r = new RequestReader();
  const model = r.string(obj, 'model', '', true) ?? '';
  const rawMessages = r.array(obj, 'messages', '', true) ?? [];
  if (obj['messages'] !== undefined && rawMessages.length === 0) r.issue('/messages', 'must not be empty');
  const messages: Message[] = [];
  rawMessages.forEach((m, i) => {
    const message = parseMessage(r, m, `/messages/${i}`);
    if (message !== undefined) messages.push(message);
  });
  const req: Mutable<ChatRequest> = {
    model,
    system: [],
    messages,
    tools: parseTools(r, r.array(obj, 'tools', '') ?? []),
    stream: r.boolean(obj, 'stream', '') ?? false,
    streamOptions: {
      includeUsage:
        r.boolean(r.object(obj, 'stream_options', '') ?? {}, 'include_usage', '/stream_options') ?? false,
    },
    extensions: {},
  };
  parseSampling(r, obj, req);
  const toolChoice = parseToolChoice(r, obj['tool_choice']);
  if (toolChoice !== undefined) req.toolChoice = toolChoice;
  const parallel = r.boolean(obj, 'parallel_tool_calls', '');
  if (parallel !== undefined) req.parallelToolCalls = parallel;
  const format = parseResponseFormat(r, r.object(obj, 'response_format', ''));
  if (format !== undefined) req.responseFormat = format;
  const effort = r.string(obj, 'reasoning_effort', '');
  if (effort !== undefined) {
    if (effort === 'none') req.thinking = { kind: 'disabled' };
    else if (EFFORTS.has(effort)) req.thinking = { kind: 'enabled', effort: effort as ReasoningEffort };
    else r.issue('/reasoning_effort', 'must be one of none, minimal, low, medium, high');
  }
  const extra = unknownFields(obj, KNOWN_FIELDS);
  if (extra !== undefined) req.extensions = { openai: extra };
  r.throwIfAny();
  return req;
}

function parseSampling(r: RequestReader, obj: JsonObject, req: Mutable<ChatRequest>): void {
  const set = <K extends keyof ChatRequest>(key: K, value: ChatRequest[K] | undefined): void => {
    if (value !== undefined) req[key] = value;
  };
  set('temperature', r.number(obj, 'temperature', '', { min: 0, max: 2 }));
  set('topP', r.number(obj, 'top_p', '', { min: 0, max: 1 }));
  set(
    'maxTokens',
    r.number(obj, 'max_completion_tokens', '', { min: 1, integer: true }) ??
      r.number(obj, 'max_tokens', '', { min: 1, integer: true }),
  );
  set('seed', r.number(obj, 'seed', '', { integer: true }));
  set('n', r.number(obj, 'n', '', { min: 1, max: 128, integer: true }));
  set('logprobs', r.boolean(obj, 'logprobs', ''));
  set('topLogprobs', r.number(obj, 'top_logprobs', '', { min: 0, max: 20, integer: true }));
  set('presencePenalty', r.number(obj, 'presence_penalty', '', { min: -2, max: 2 }));
  set('frequencyPenalty', r.number(obj, 'frequency_penalty', '', { min: -2, max: 2 }));
  set('user', r.string(obj, 'user', ''));
  const stop = obj['stop'];
  if (typeof stop === 'string') req.stop = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) req.stop = stop as string[];
  else if (stop !== undefined && stop !== null) r.issue('/stop', 'must be a string or an array of strings');
  const metadata = r.object(obj, 'metadata', '');
  if (metadata !== undefined) {
    if (Object.values(metadata).every((v) => typeof v === 'string'))
      req.metadata = metadata as Record<string, string>;
    else r.issue('/metadata', 'values must be strings');
  }
}

function parseMessage(r: RequestReader, raw: unknown, path: string): Message | undefined {
  if (!isObject(raw)) {
    r.issue(path, 'must be an object');
    return undefined;
  }
  const role = r.string(raw, 'role', path, true);
  const name = r.string(raw, 'name', path);
  let message: Message | undefined;
  switch (role) {
    case 'system':
    case 'developer':
      message = { role, content: textParts(r, raw['content'], `${path}/content`) };
      break;
    case 'user':
      message = { role, content: userParts(r, raw['content'], `${path}/content`) };
      break;
    case 'assistant':
      message = { role, content: assistantParts(r, raw, path) };
      break;
    case 'tool': {
      const toolCallId = r.string(raw, 'tool_call_id', path, true) ?? '';
      message = {
        role,
        content: [
          { kind: 'tool_result', toolCallId, content: textParts(r, raw['content'], `${path}/content`) },
        ],
      };
      break;
    }
    case undefined:
      return undefined;
    default:
      r.issue(`${path}/role`, 'must be one of system, developer, user, assistant, tool');
      return undefined;
  }
  return name === undefined ? message : { ...message, name };
}

function textParts(r: RequestReader, content: unknown, path: string): TextPart[] {
  if (typeof content === 'string') return [{ kind: 'text', text: content }];
  if (!Array.isArray(content)) {
    r.issue(path, 'must be a string or an array of text parts');
    return [];
  }
  const out: TextPart[] = [];
  content.forEach((part, i) => {
    if (isObject(part) && part['type'] === 'text' && typeof part['text'] === 'string')
      out.push({ kind: 'text', text: part['text'] });
    else r.issue(`${path}/${i}`, 'must be a text part');
  });
  return out;
}

function userParts(r: RequestReader, content: unknown, path: string): ContentPart[] {
  if (typeof content === 'string') return [{ kind: 'text', text: content }];
  if (!Array.isArray(content)) {
    r.issue(path, 'must be a string or an array of content parts');
    return [];
  }
  const out: ContentPart[] = [];
  content.forEach((part, i) => {
    const p = `${path}/${i}`;
    if (!isObject(part)) {
      r.issue(p, 'must be an object');
      return;
    }
    const type = r.string(part, 'type', p, true);
    if (type === 'text') {
      const text = r.string(part, 'text', p, true);
      if (text !== undefined) out.push({ kind: 'text', text });
    } else if (type === 'image_url') {
      const image = r.object(part, 'image_url', p);
      const url = image === undefined ? undefined : r.string(image, 'url', `${p}/image_url`, true);
      if (image === undefined) r.issue(`${p}/image_url`, 'is required');
      if (url === undefined) return;
      const detail = image?.['detail'];
      const imagePart: Mutable<Extract<ContentPart, { kind: 'image' }>> = {
        kind: 'image',
        source: mediaSourceFromUrl(url),
      };
      if (detail === 'auto' || detail === 'low' || detail === 'high') imagePart.detail = detail;
      out.push(imagePart);
    } else if (
      type === 'file' &&
      typeof (part['file'] as JsonObject | undefined)?.['file_data'] === 'string'
    ) {
      const file = part['file'] as JsonObject;
      const doc: Mutable<Extract<ContentPart, { kind: 'document' }>> = {
        kind: 'document',
        source: mediaSourceFromUrl(file['file_data'] as string),
      };
      if (typeof file['filename'] === 'string') doc.title = file['filename'];
      out.push(doc);
    } else if (type !== undefined) {
      // input_audio, file_id files and future part types pass through to OpenAI-family targets.
      out.push({ kind: 'opaque', family: 'openai', value: part });
    }
  });
  return out;
}

function assistantParts(r: RequestReader, raw: JsonObject, path: string): ContentPart[] {
  const out: ContentPart[] = [];
  const reasoning = raw['reasoning_content'];
  if (typeof reasoning === 'string' && reasoning.length > 0) out.push({ kind: 'thinking', text: reasoning });
  const content = raw['content'];
  if (typeof content === 'string') {
    if (content.length > 0) out.push({ kind: 'text', text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part, i) => {
      const text = isObject(part) ? (part['text'] ?? part['refusal']) : undefined;
      if (typeof text === 'string') out.push({ kind: 'text', text });
      else r.issue(`${path}/content/${i}`, 'must be a text or refusal part');
    });
  } else if (content !== undefined && content !== null) {
    r.issue(`${path}/content`, 'must be a string, an array of parts, or null');
  }
  const refusal = raw['refusal'];
  if (typeof refusal === 'string' && refusal.length > 0) out.push({ kind: 'text', text: refusal });
  (r.array(raw, 'tool_calls', path) ?? []).forEach((call, i) => {
    const p = `${path}/tool_calls/${i}`;
    if (!isObject(call)) {
      r.issue(p, 'must be an object');
      return;
    }
    const id = r.string(call, 'id', p, true);
    const fn = r.object(call, 'function', p);
    if (fn === undefined) {
      r.issue(`${p}/function`, 'is required');
      return;
    }
    const name = r.string(fn, 'name', `${p}/function`, true);
    const args = r.string(fn, 'arguments', `${p}/function`) ?? '';
    if (id !== undefined && name !== undefined) out.push({ kind: 'tool_call', id, name, arguments: args });
  });
  return out;
}

function parseTools(r: RequestReader, tools: readonly unknown[]): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  tools.forEach((tool, i) => {
    const p = `/tools/${i}`;
    if (!isObject(tool)) {
      r.issue(p, 'must be an object');
      return;
    }
    if (tool['type'] !== 'function') {
      out.push({ kind: 'builtin', family: 'openai', value: tool });
      return;
    }
    const fn = r.object(tool, 'function', p);
    if (fn === undefined) {
      r.issue(`${p}/function`, 'is required');
      return;
    }
    const name = r.string(fn, 'name', `${p}/function`, true);
    if (name === undefined) return;
    const def: Mutable<Extract<ToolDefinition, { kind: 'function' }>> = {
      kind: 'function',
      name,
      parameters: r.object(fn, 'parameters', `${p}/function`) ?? { type: 'object', properties: {} },
    };
    const description = r.string(fn, 'description', `${p}/function`);
    if (description !== undefined) def.description = description;
    const strict = r.boolean(fn, 'strict', `${p}/function`);
    if (strict !== undefined) def.strict = strict;
    out.push(def);
  });
  return out;
}

function parseToolChoice(r: RequestReader, raw: unknown): ToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === 'auto' || raw === 'none' || raw === 'required') return { kind: raw };
  if (
    isObject(raw) &&
    raw['type'] === 'function' &&
    isObject(raw['function']) &&
    typeof raw['function']['name'] === 'string'
  ) {
    return { kind: 'tool', name: raw['function']['name'] };
  }
  r.issue(
    '/tool_choice',
    'must be "auto", "none", "required" or {"type":"function","function":{"name":...}}',
  );
  return undefined;
}

function parseResponseFormat(r: RequestReader, raw: JsonObject | undefined): ResponseFormat | undefined {
  if (raw === undefined) return undefined;
  const type = r.string(raw, 'type', '/response_format', true);
  if (type === 'text' || type === 'json_object') return { kind: type };
  if (type === 'json_schema') {
    const spec = r.object(raw, 'json_schema', '/response_format');
    if (spec === undefined) {
      r.issue('/response_format/json_schema', 'is required');
      return undefined;
    }
    const name = r.string(spec, 'name', '/response_format/json_schema', true) ?? '';
    const format: Mutable<Extract<ResponseFormat, { kind: 'json_schema' }>> = {
      kind: 'json_schema',
      name,
      schema: r.object(spec, 'schema', '/response_format/json_schema') ?? {},
    };
    const description = r.string(spec, 'description', '/response_format/json_schema');
    if (description !== undefined) format.description = description;
    const strict = r.boolean(spec, 'strict', '/response_format/json_schema');
    if (strict !== undefined) format.strict = strict;
    return format;
  }
  if (type !== undefined) r.issue('/response_format/type', 'must be text, json_object or json_schema');
  return undefined;
}
