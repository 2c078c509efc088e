import type { Usage } from '../../internal/usage.js';
import type { ResponseBody } from '../../provider-adapter.js';
import { openAIUsage } from '../../providers/openai/openai-chat-response.js';
import { isObject, tryParseJson } from '../../shared/json-value.js';
import { replaceTopLevelString } from '../../shared/replace-top-level-string.js';
import { bodyText } from '../../shared/utf8.js';

/** An OpenAI-dialect answer ready for an OpenAI client, with the usage it reported. */
export interface OpenAICompletionPassthrough {
  /** The provider's JSON text with `model` replaced; every other byte as the provider sent it. */
  readonly body: string;
  readonly usage: Usage;
}

/**
 * The same-format fast path of a non-streaming chat completion (ADR 0007): an OpenAI-dialect
 * provider's `chat.completion` body relayed to an OpenAI client as the provider wrote it, with
 * `model` set to `model` (the AIModel name), instead of parsing it into the internal form and
 * rendering it again. Fields the internal form does not model (`system_fingerprint`,
 * `service_tier`, logprobs, annotations, ...) reach the client unchanged.
 *
 * Returns null when the fast path does not apply and the caller must take the adapter's
 * `parseResponse` path: the body is not a JSON object with a `choices` array, carries an
 * `error`, or reports no usage (which must then be estimated from the parsed answer).
 */
export function passThroughOpenAIChatCompletion(
  body: ResponseBody,
  model: string,
): OpenAICompletionPassthrough | null {
  const text = bodyText(body);
  const json = tryParseJson(text);
  if (!isObject(json) || !Array.isArray(json['choices'])) return null;
  if (json['error'] !== undefined && json['error'] !== null) return null;
  const usage = openAIUsage(json['usage']);
  if (usage === undefined) return null;
  return { body: replaceTopLevelString(text, 'model', JSON.stringify(model)), usage };
}
