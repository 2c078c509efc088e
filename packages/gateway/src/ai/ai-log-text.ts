import type { ChatRequest, ChatResponse, ContentPart, OutputPart } from '@hubpo/ai-providers';
import type { AILogMessage } from './ai-log-sink.js';
import type { Redactor } from './redactor.js';

/**
 * Room beyond `maxChars` that is redacted before the text is cut: a secret that straddles the
 * cut is still recognised whole, so no unredacted fragment of it is logged.
 */
const REDACTION_MARGIN = 256;

/** What `promptForLog` / `completionForLog` return. */
export interface LoggedText<T> {
  readonly value: T;
  readonly truncated: boolean;
}

/**
 * The prompt as logged: system blocks then messages, each as its text parts (tool calls and
 * results as text, media as a placeholder), redacted, within `maxChars` characters in all;
 * messages past the budget are left out (`truncated`).
 */
export function promptForLog(
  request: ChatRequest,
  redactors: readonly Redactor[],
  maxChars: number,
): LoggedText<AILogMessage[]> {
  const out: AILogMessage[] = [];
  let budget = maxChars;
  let truncated = false;
  const add = (role: string, raw: string): void => {
    if (budget <= 0) {
      truncated = true;
      return;
    }
    const cut = bounded(raw, redactors, budget);
    if (cut.truncated) truncated = true;
    budget -= cut.value.length;
    out.push({ role, text: cut.value });
  };
  if (request.system.length > 0) add('system', request.system.map((p) => p.text).join('\n'));
  for (const message of request.messages) add(message.role, partsText(message.content));
  return { value: out, truncated };
}

/** The completion as logged: the first choice's text (tool calls as text), redacted and cut. */
export function completionForLog(
  response: ChatResponse,
  redactors: readonly Redactor[],
  maxChars: number,
): LoggedText<string> {
  const texts: string[] = [];
  for (const choice of response.choices) {
    const text = partsText(choice.content);
    if (text !== '') texts.push(response.choices.length > 1 ? `[${choice.index}] ${text}` : text);
  }
  return bounded(texts.join('\n'), redactors, maxChars);
}

function bounded(raw: string, redactors: readonly Redactor[], maxChars: number): LoggedText<string> {
  const over = raw.length > maxChars;
  let text = over ? raw.slice(0, maxChars + REDACTION_MARGIN) : raw;
  for (const r of redactors) text = r.redact(text);
  if (text.length > maxChars) return { value: text.slice(0, maxChars), truncated: true };
  return { value: text, truncated: over };
}

function partsText(parts: readonly (ContentPart | OutputPart)[]): string {
  let text = '';
  for (const part of parts) {
    const piece = partText(part);
    if (piece === '') continue;
    text = text === '' ? piece : `${text}\n${piece}`;
  }
  return text;
}

function partText(part: ContentPart | OutputPart): string {
  switch (part.kind) {
    case 'text':
    case 'refusal':
    case 'thinking':
      return part.text;
    case 'tool_call':
      return `[tool_call ${part.name}] ${part.arguments}`;
    case 'tool_result':
      return `[tool_result] ${partsText(part.content)}`;
    default:
      return `[${part.kind}]`;
  }
}
