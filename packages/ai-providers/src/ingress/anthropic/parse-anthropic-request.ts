import type {
  CacheControl,
  ChatRequest,
  ContentPart,
  ImagePart,
  MediaSource,
  Message,
  TextPart,
  ToolChoice,
  ToolDefinition,
} from '../../internal/chat-request.js';
import type { JsonObject } from '../../shared/json-value.js';
import { isObject } from '../../shared/json-value.js';
import type { Mutable } from '../../shared/mutable.js';
import { RequestReader, requestObject, unknownFields } from '../request-reader.js';

const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'metadata',
  'stop_sequences',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
]);

export interface AnthropicParseOptions {
  /** `count_tokens` bodies have no `max_tokens`; messages bodies require it. */
  readonly requireMaxTokens?: boolean;
}

/**
 * Parses and validates an Anthropic `POST /v1/messages` (or `/v1/messages/count_tokens`) body
 * (https://docs.anthropic.com/en/api/messages) into the internal form. Unknown top-level fields
 * go to `extensions.anthropic`, unknown content blocks and server tools stay opaque Anthropic
 * values. Throws VALIDATION (HTTP 400) naming every bad field.
 */
export function parseAnthropicRequest(body: unknown, options: AnthropicParseOptions = {}): ChatRequest {
  const obj = requestObject(body);
  const r = new RequestReader();
  const model = r.string(obj, 'model', '', true) ?? '';
  const maxTokens = r.number(obj, 'max_tokens', '', { min: 1, integer: true });
  if (maxTokens === undefined && obj['max_tokens'] === undefined && options.requireMaxTokens !== false)
    r.issue('/max_tokens', 'is required');
  const messages: Message[] = [];
  (r.array(obj, 'messages', '', true) ?? []).forEach((m, i) => {
    const message = parseMessage(r, m, `/messages/${i}`);
    if (message !== undefined) messages.push(message);
  });
  const req: Mutable<ChatRequest> = {
    model,
    system: parseSystem(r, obj['system']),
    messages,
    tools: parseTools(r, r.array(obj, 'tools', '') ?? []),
    stream: r.boolean(obj, 'stream', '') ?? false,
    // Anthropic streams always carry usage (message_start / message_delta).
    streamOptions: { includeUsage: true },
    extensions: {},
  };
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const temperature = r.number(obj, 'temperature', '', { min: 0, max: 1 });
  if (temperature !== undefined) req.temperature = temperature;
  const topP = r.number(obj, 'top_p', '', { min: 0, max: 1 });
  if (topP !== undefined) req.topP = topP;
  const topK = r.number(obj, 'top_k', '', { min: 0, integer: true });
  if (topK !== undefined) req.topK = topK;
  const stop = r.array(obj, 'stop_sequences', '');
  if (stop !== undefined) {
    if (stop.every((s) => typeof s === 'string')) req.stop = stop as string[];
    else r.issue('/stop_sequences', 'must be an array of strings');
  }
  const metadata = r.object(obj, 'metadata', '');
  const userId = metadata === undefined ? undefined : r.string(metadata, 'user_id', '/metadata');
  if (userId !== undefined) req.user = userId;
  parseToolChoice(r, r.object(obj, 'tool_choice', ''), req);
  const thinking = r.object(obj, 'thinking', '');
  if (thinking !== undefined) {
    const type = r.string(thinking, 'type', '/thinking', true);
    if (type === 'enabled') {
      const budget = r.number(thinking, 'budget_tokens', '/thinking', { min: 1, integer: true });
      req.thinking = budget === undefined ? { kind: 'enabled' } : { kind: 'enabled', budgetTokens: budget };
    } else if (type === 'disabled') {
      req.thinking = { kind: 'disabled' };
    } else if (type !== undefined) {
      r.issue('/thinking/type', 'must be enabled or disabled');
    }
  }
  const extra = unknownFields(obj, KNOWN_FIELDS);
  if (extra !== undefined) req.extensions = { anthropic: extra };
  r.throwIfAny();
  return req;
}

function cacheControl(block: JsonObject): CacheControl | undefined {
  const cc = block['cache_control'];
  if (!isObject(cc) || cc['type'] !== 'ephemeral') return undefined;
  return typeof cc['ttl'] === 'string' ? { type: 'ephemeral', ttl: cc['ttl'] } : { type: 'ephemeral' };
}

function textPart(text: string, block: JsonObject | undefined): TextPart {
  const cc = block === undefined ? undefined : cacheControl(block);
  return cc === undefined ? { kind: 'text', text } : { kind: 'text', text, cacheControl: cc };
}

function parseSystem(r: RequestReader, raw: unknown): TextPart[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') return raw.length === 0 ? [] : [{ kind: 'text', text: raw }];
  if (!Array.isArray(raw)) {
    r.issue('/system', 'must be a string or an array of text blocks');
    return [];
  }
  const out: TextPart[] = [];
  raw.forEach((block, i) => {
    if (isObject(block) && block['type'] === 'text' && typeof block['text'] === 'string')
      out.push(textPart(block['text'], block));
    else r.issue(`/system/${i}`, 'must be a text block');
  });
  return out;
}

function parseMessage(r: RequestReader, raw: unknown, path: string): Message | undefined {
  if (!isObject(raw)) {
    r.issue(path, 'must be an object');
    return undefined;
  }
  const role = r.string(raw, 'role', path, true);
  if (role !== undefined && role !== 'user' && role !== 'assistant') {
    r.issue(`${path}/role`, 'must be user or assistant');
    return undefined;
  }
  const content = raw['content'];
  if (typeof content === 'string')
    return { role: role ?? 'user', content: [{ kind: 'text', text: content }] };
  if (!Array.isArray(content)) {
    r.issue(`${path}/content`, 'must be a string or an array of content blocks');
    return undefined;
  }
  const parts: ContentPart[] = [];
  content.forEach((block, i) => {
    const part = parseBlock(r, block, `${path}/content/${i}`);
    if (part !== undefined) parts.push(part);
  });
  return role === undefined ? undefined : { role, content: parts };
}

function parseSource(r: RequestReader, block: JsonObject, path: string): MediaSource | undefined {
  const source = r.object(block, 'source', path);
  if (source === undefined) {
    r.issue(`${path}/source`, 'is required');
    return undefined;
  }
  const type = source['type'];
  if (type === 'base64') {
    const mediaType = r.string(source, 'media_type', `${path}/source`, true);
    const data = r.string(source, 'data', `${path}/source`, true);
    return mediaType === undefined || data === undefined ? undefined : { kind: 'base64', mediaType, data };
  }
  if (type === 'url') {
    const url = r.string(source, 'url', `${path}/source`, true);
    return url === undefined ? undefined : { kind: 'url', url };
  }
  return undefined; // text / content / file sources stay opaque (see caller)
}

function parseBlock(r: RequestReader, raw: unknown, path: string): ContentPart | undefined {
  if (!isObject(raw)) {
    r.issue(path, 'must be an object');
    return undefined;
  }
  const type = r.string(raw, 'type', path, true);
  const cc = cacheControl(raw);
  const withCache = <T extends object>(part: T): T =>
    cc === undefined ? part : { ...part, cacheControl: cc };
  switch (type) {
    case 'text': {
      const text = r.string(raw, 'text', path, true);
      return text === undefined ? undefined : textPart(text, raw);
    }
    case 'image':
    case 'document': {
      const source = parseSource(r, raw, path);
      if (source === undefined) return { kind: 'opaque', family: 'anthropic', value: raw };
      if (type === 'image') return withCache<ImagePart>({ kind: 'image', source });
      const title = typeof raw['title'] === 'string' ? raw['title'] : undefined;
      return withCache(
        title === undefined
          ? { kind: 'document' as const, source }
          : { kind: 'document' as const, source, title },
      );
    }
    case 'tool_use': {
      const id = r.string(raw, 'id', path, true);
      const name = r.string(raw, 'name', path, true);
      const input = raw['input'] ?? {};
      if (!isObject(input)) r.issue(`${path}/input`, 'must be an object');
      if (id === undefined || name === undefined) return undefined;
      return withCache({ kind: 'tool_call' as const, id, name, arguments: JSON.stringify(input) });
    }
    case 'tool_result':
      return parseToolResult(r, raw, path, cc);
    case 'thinking': {
      const text = r.string(raw, 'thinking', path, true) ?? '';
      const signature = r.string(raw, 'signature', path);
      return signature === undefined ? { kind: 'thinking', text } : { kind: 'thinking', text, signature };
    }
    case 'redacted_thinking':
      return { kind: 'redacted_thinking', data: r.string(raw, 'data', path, true) ?? '' };
    case undefined:
      return undefined;
    default:
      // server_tool_use, web_search_tool_result, search_result, container_upload...: passed through.
      return { kind: 'opaque', family: 'anthropic', value: raw };
  }
}

function parseToolResult(
  r: RequestReader,
  raw: JsonObject,
  path: string,
  cc: CacheControl | undefined,
): ContentPart | undefined {
  const toolCallId = r.string(raw, 'tool_use_id', path, true);
  if (toolCallId === undefined) return undefined;
  const content: (TextPart | ImagePart)[] = [];
  const inner = raw['content'];
  if (typeof inner === 'string') content.push({ kind: 'text', text: inner });
  else if (Array.isArray(inner)) {
    inner.forEach((block, i) => {
      const p = `${path}/content/${i}`;
      const part = isObject(block) ? parseBlock(r, block, p) : undefined;
      if (part?.kind === 'text' || part?.kind === 'image') content.push(part);
      else r.issue(p, 'must be a text or image block');
    });
  } else if (inner !== undefined) r.issue(`${path}/content`, 'must be a string or an array of blocks');
  const part: Mutable<Extract<ContentPart, { kind: 'tool_result' }>> = {
    kind: 'tool_result',
    toolCallId,
    content,
  };
  if (raw['is_error'] === true) part.isError = true;
  if (cc !== undefined) part.cacheControl = cc;
  return part;
}

function parseTools(r: RequestReader, tools: readonly unknown[]): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  tools.forEach((tool, i) => {
    const p = `/tools/${i}`;
    if (!isObject(tool)) {
      r.issue(p, 'must be an object');
      return;
    }
    const type = tool['type'];
    if (type !== undefined && type !== 'custom') {
      out.push({ kind: 'builtin', family: 'anthropic', value: tool });
      return;
    }
    const name = r.string(tool, 'name', p, true);
    const schema = r.object(tool, 'input_schema', p);
    if (schema === undefined && tool['input_schema'] === undefined)
      r.issue(`${p}/input_schema`, 'is required');
    if (name === undefined) return;
    const def: Mutable<Extract<ToolDefinition, { kind: 'function' }>> = {
      kind: 'function',
      name,
      parameters: schema ?? {},
    };
    const description = r.string(tool, 'description', p);
    if (description !== undefined) def.description = description;
    const cc = cacheControl(tool);
    if (cc !== undefined) def.cacheControl = cc;
    out.push(def);
  });
  return out;
}

function parseToolChoice(r: RequestReader, raw: JsonObject | undefined, req: Mutable<ChatRequest>): void {
  if (raw === undefined) return;
  const type = r.string(raw, 'type', '/tool_choice', true);
  let choice: ToolChoice | undefined;
  if (type === 'auto' || type === 'none') choice = { kind: type };
  else if (type === 'any') choice = { kind: 'required' };
  else if (type === 'tool') {
    const name = r.string(raw, 'name', '/tool_choice', true);
    if (name !== undefined) choice = { kind: 'tool', name };
  } else if (type !== undefined) r.issue('/tool_choice/type', 'must be auto, any, tool or none');
  if (choice !== undefined) req.toolChoice = choice;
  if (raw['disable_parallel_tool_use'] === true) req.parallelToolCalls = false;
}
