/**
 * What a target can carry. Adapters declare defaults for their provider; a target may narrow or
 * widen them (`TargetConfig.capabilities`, e.g. a text-only model, or an OpenAI-compatible server
 * that does support `top_k`). `checkCapabilities` compares a request against them.
 */
export interface Capabilities {
  /** Function tools and tool choice. */
  readonly tools: boolean;
  /** `toolChoice: required` (must call some tool). */
  readonly toolChoiceRequired: boolean;
  /** `toolChoice: { kind: 'tool', name }` (must call that tool). */
  readonly toolChoiceSpecific: boolean;
  /** Control over parallel tool calls. */
  readonly parallelToolCalls: boolean;
  /** Image input. */
  readonly images: boolean;
  /** Images given by URL (the provider fetches them); without it only inline base64 works. */
  readonly imageUrls: boolean;
  /** Document (PDF) input. */
  readonly documents: boolean;
  /** `responseFormat: json_object`. */
  readonly jsonMode: boolean;
  /** `responseFormat: json_schema`. */
  readonly jsonSchema: boolean;
  /** n > 1. */
  readonly multipleChoices: boolean;
  readonly logprobs: boolean;
  readonly seed: boolean;
  readonly topK: boolean;
  /** presence / frequency penalties. */
  readonly penalties: boolean;
  /** Extended thinking / reasoning configuration. */
  readonly thinking: boolean;
  /** Prompt-cache breakpoints (`cacheControl`). */
  readonly promptCaching: boolean;
  readonly streaming: boolean;
  /** The provider reports usage at the end of a stream (else it is estimated). */
  readonly streamingUsage: boolean;
  readonly embeddings: boolean;
  /** Most stop sequences accepted; null when unlimited or unknown. */
  readonly maxStopSequences: number | null;
}

/** A capability a request can need; names match `Capabilities` keys where one exists. */
export type Feature =
  | 'tools'
  | 'toolChoiceRequired'
  | 'toolChoiceSpecific'
  | 'parallelToolCalls'
  | 'images'
  | 'imageUrls'
  | 'documents'
  | 'jsonMode'
  | 'jsonSchema'
  | 'multipleChoices'
  | 'logprobs'
  | 'seed'
  | 'topK'
  | 'penalties'
  | 'thinking'
  | 'promptCaching'
  | 'streaming'
  | 'maxStopSequences'
  | 'foreignBuiltins';

export function defineCapabilities(caps: Capabilities): Capabilities {
  return Object.freeze({ ...caps });
}

/** The adapter's defaults with the target's overrides applied. */
export function mergeCapabilities(
  base: Capabilities,
  override: Partial<Capabilities> | undefined,
): Capabilities {
  return override === undefined ? base : Object.freeze({ ...base, ...override });
}
