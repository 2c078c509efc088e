import { HubpoError } from '@hubpo/core';
import type { Capabilities, Feature } from './capabilities.js';
import type { ChatRequest, ContentPart, Message, WireFamily } from './internal/chat-request.js';
import type { Mutable } from './shared/mutable.js';

export type CapabilityPolicy = 'reject' | 'drop';

export interface CapabilityWarning {
  readonly feature: Feature;
  readonly message: string;
}

export interface CapabilityCheck {
  /** The request to send: the input itself when nothing was dropped. */
  readonly request: ChatRequest;
  /** What was dropped or degraded (for the gateway's warning header and logs). */
  readonly warnings: readonly CapabilityWarning[];
}

type Draft = Mutable<ChatRequest>;

interface FeatureRule {
  readonly feature: Feature;
  /** Hints are dropped with a warning under both policies (a cache breakpoint never fails a call). */
  readonly hint?: boolean;
  readonly used: (req: ChatRequest, caps: Capabilities, family: WireFamily) => boolean;
  readonly supported: (caps: Capabilities) => boolean;
  readonly message: string;
  readonly drop: (req: Draft, caps: Capabilities, family: WireFamily) => void;
}

function hasPart(req: ChatRequest, test: (part: ContentPart) => boolean): boolean {
  for (const message of req.messages) {
    for (const part of message.content) {
      if (test(part)) return true;
      if (part.kind === 'tool_result' && part.content.some(test)) return true;
    }
  }
  return false;
}

/** Removes matching parts; a message left empty keeps a short placeholder so turns stay valid. */
function withoutParts(
  messages: readonly Message[],
  test: (part: ContentPart) => boolean,
  placeholder: string,
): Message[] {
  return messages.map((message) => {
    if (
      !message.content.some(test) &&
      !message.content.some((p) => p.kind === 'tool_result' && p.content.some(test))
    )
      return message;
    const content: ContentPart[] = [];
    for (const part of message.content) {
      if (test(part)) continue;
      if (part.kind === 'tool_result') {
        const inner = part.content.filter((p) => !test(p));
        content.push({ ...part, content: inner.length > 0 ? inner : [{ kind: 'text', text: placeholder }] });
      } else content.push(part);
    }
    return { ...message, content: content.length > 0 ? content : [{ kind: 'text', text: placeholder }] };
  });
}

function stripCache<T extends object>(value: T): T {
  if (!('cacheControl' in value)) return value;
  const { cacheControl: _removed, ...rest } = value;
  return rest as T;
}

function stripPartCache(part: ContentPart): ContentPart {
  return part.kind === 'tool_result'
    ? { ...stripCache(part), content: part.content.map(stripCache) }
    : stripCache(part);
}

const isImage = (p: ContentPart): boolean => p.kind === 'image';
const isUrlImage = (p: ContentPart): boolean => p.kind === 'image' && p.source.kind === 'url';
const isDocument = (p: ContentPart): boolean => p.kind === 'document';
const hasCache = (p: ContentPart): boolean => 'cacheControl' in p && p.cacheControl !== undefined;

/** The rules, in the order they are applied. Frozen: shared by every request. */
const RULES: readonly FeatureRule[] = Object.freeze([
  {
    feature: 'tools',
    used: (req) => req.tools.length > 0 || req.toolChoice !== undefined,
    supported: (c) => c.tools,
    message: 'tools were removed: the target does not support tool calling',
    drop: (req) => {
      req.tools = [];
      delete req.toolChoice;
      delete req.parallelToolCalls;
    },
  },
  {
    feature: 'foreignBuiltins',
    used: (req, _c, family) => req.tools.some((t) => t.kind === 'builtin' && t.family !== family),
    supported: () => false,
    message: 'provider-hosted tools of another provider were removed',
    drop: (req, _c, family) => {
      req.tools = req.tools.filter((t) => t.kind !== 'builtin' || t.family === family);
    },
  },
  {
    feature: 'toolChoiceRequired',
    used: (req) => req.toolChoice?.kind === 'required',
    supported: (c) => c.toolChoiceRequired,
    message: 'tool_choice "required" was relaxed to "auto"',
    drop: (req) => {
      req.toolChoice = { kind: 'auto' };
    },
  },
  {
    feature: 'toolChoiceSpecific',
    used: (req) => req.toolChoice?.kind === 'tool',
    supported: (c) => c.toolChoiceSpecific,
    message: 'forcing a specific tool is not supported: tool_choice relaxed',
    drop: (req, c) => {
      req.toolChoice = { kind: c.toolChoiceRequired ? 'required' : 'auto' };
    },
  },
  {
    feature: 'parallelToolCalls',
    used: (req) => req.parallelToolCalls !== undefined,
    supported: (c) => c.parallelToolCalls,
    message: 'parallel tool call control was removed',
    drop: (req) => {
      delete req.parallelToolCalls;
    },
  },
  {
    feature: 'images',
    used: (req) => hasPart(req, isImage),
    supported: (c) => c.images,
    message: 'images were removed: the target does not accept image input',
    drop: (req) => {
      req.messages = withoutParts(req.messages, isImage, '[image omitted]');
    },
  },
  {
    feature: 'imageUrls',
    used: (req) => hasPart(req, isUrlImage),
    supported: (c) => c.imageUrls,
    message: 'image URLs were removed: the target only accepts inline (base64) images',
    drop: (req) => {
      req.messages = withoutParts(req.messages, isUrlImage, '[image omitted]');
    },
  },
  {
    feature: 'documents',
    used: (req) => hasPart(req, isDocument),
    supported: (c) => c.documents,
    message: 'documents were removed: the target does not accept documents',
    drop: (req) => {
      req.messages = withoutParts(req.messages, isDocument, '[document omitted]');
    },
  },
  {
    feature: 'jsonSchema',
    used: (req) => req.responseFormat?.kind === 'json_schema',
    supported: (c) => c.jsonSchema,
    message: 'json_schema response format is not supported: degraded to json_object or removed',
    drop: (req, c) => {
      if (c.jsonMode) req.responseFormat = { kind: 'json_object' };
      else delete req.responseFormat;
    },
  },
  {
    feature: 'jsonMode',
    used: (req) => req.responseFormat?.kind === 'json_object',
    supported: (c) => c.jsonMode,
    message: 'JSON mode was removed: the target has no JSON response format',
    drop: (req) => {
      delete req.responseFormat;
    },
  },
  {
    feature: 'multipleChoices',
    used: (req) => req.n !== undefined && req.n > 1,
    supported: (c) => c.multipleChoices,
    message: 'n > 1 is not supported: one choice is generated',
    drop: (req) => {
      delete req.n;
    },
  },
  {
    feature: 'logprobs',
    used: (req) => req.logprobs === true || req.topLogprobs !== undefined,
    supported: (c) => c.logprobs,
    message: 'logprobs were removed',
    drop: (req) => {
      delete req.logprobs;
      delete req.topLogprobs;
    },
  },
  {
    feature: 'seed',
    used: (req) => req.seed !== undefined,
    supported: (c) => c.seed,
    message: 'seed was removed',
    drop: (req) => {
      delete req.seed;
    },
  },
  {
    feature: 'topK',
    used: (req) => req.topK !== undefined,
    supported: (c) => c.topK,
    message: 'top_k was removed',
    drop: (req) => {
      delete req.topK;
    },
  },
  {
    feature: 'penalties',
    used: (req) => req.presencePenalty !== undefined || req.frequencyPenalty !== undefined,
    supported: (c) => c.penalties,
    message: 'presence/frequency penalties were removed',
    drop: (req) => {
      delete req.presencePenalty;
      delete req.frequencyPenalty;
    },
  },
  {
    feature: 'thinking',
    used: (req) => req.thinking?.kind === 'enabled',
    supported: (c) => c.thinking,
    message: 'extended thinking configuration was removed',
    drop: (req) => {
      delete req.thinking;
    },
  },
  {
    feature: 'maxStopSequences',
    used: (req, c) =>
      c.maxStopSequences !== null && req.stop !== undefined && req.stop.length > c.maxStopSequences,
    supported: () => false,
    message: 'stop sequences beyond the target limit were removed',
    drop: (req, c) => {
      if (req.stop !== undefined && c.maxStopSequences !== null)
        req.stop = req.stop.slice(0, c.maxStopSequences);
    },
  },
  {
    feature: 'promptCaching',
    hint: true,
    used: (req) =>
      req.system.some((p) => p.cacheControl !== undefined) ||
      req.tools.some((t) => t.kind === 'function' && t.cacheControl !== undefined) ||
      hasPart(req, hasCache),
    supported: (c) => c.promptCaching,
    message: 'prompt cache breakpoints were ignored: the target has no explicit prompt caching',
    drop: (req) => {
      req.system = req.system.map(stripCache);
      req.tools = req.tools.map((t) => (t.kind === 'function' ? stripCache(t) : t));
      req.messages = req.messages.map((m) => ({ ...m, content: m.content.map(stripPartCache) }));
    },
  },
] satisfies FeatureRule[]);

/**
 * Compares a request with what a target can carry. Under `reject`, any unsupported feature
 * throws UNSUPPORTED_FEATURE (HTTP 400) listing them all; under `drop`, each is removed or
 * degraded and reported as a warning. Prompt-cache breakpoints are hints and always dropped with
 * a warning. Streaming cannot be dropped and is always rejected. Pure: the input is not modified.
 */
const NO_WARNINGS: readonly CapabilityWarning[] = Object.freeze([]);

export function checkCapabilities(
  req: ChatRequest,
  capabilities: Capabilities,
  policy: CapabilityPolicy,
  family: WireFamily = 'openai',
): CapabilityCheck {
  if (req.stream && !capabilities.streaming) {
    throw new HubpoError('UNSUPPORTED_FEATURE', 'the target does not support streaming', {
      issues: [{ path: '/stream', message: 'not supported by the target' }],
      details: { features: 'streaming' },
    });
  }
  // `supported` is a field lookup, `used` may walk every message: ask the cheap question first,
  // so a target that carries every feature costs a few lookups per request.
  let unsupported: FeatureRule[] | null = null;
  for (const rule of RULES) {
    if (!rule.supported(capabilities) && rule.used(req, capabilities, family))
      (unsupported ??= []).push(rule);
  }
  if (unsupported === null) return { request: req, warnings: NO_WARNINGS };
  const blocking = unsupported.filter((rule) => rule.hint !== true);
  if (policy === 'reject' && blocking.length > 0) {
    const names = blocking.map((rule) => rule.feature);
    throw new HubpoError('UNSUPPORTED_FEATURE', `the target does not support: ${names.join(', ')}`, {
      issues: blocking.map((rule) => ({ path: `/${rule.feature}`, message: rule.message })),
      details: { features: names.join(',') },
    });
  }
  const draft: Draft = { ...req };
  const warnings: CapabilityWarning[] = [];
  for (const rule of unsupported) {
    rule.drop(draft, capabilities, family);
    warnings.push({ feature: rule.feature, message: rule.message });
  }
  return { request: draft, warnings };
}
