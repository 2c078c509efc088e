import type { ReasoningEffort, ThinkingConfig } from '../internal/chat-request.js';

/**
 * Conversions between OpenAI reasoning efforts and token budgets (Anthropic, Gemini, Bedrock,
 * Cohere), used only when a request gives one and the target needs the other.
 */
const EFFORT_BUDGET: Readonly<Record<ReasoningEffort, number>> = Object.freeze({
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 24576,
});

export function thinkingBudget(thinking: ThinkingConfig | undefined): number | undefined {
  if (thinking === undefined || thinking.kind !== 'enabled') return undefined;
  if (thinking.budgetTokens !== undefined) return thinking.budgetTokens;
  return EFFORT_BUDGET[thinking.effort ?? 'medium'];
}

export function reasoningEffort(thinking: ThinkingConfig | undefined): ReasoningEffort | undefined {
  if (thinking === undefined || thinking.kind !== 'enabled') return undefined;
  if (thinking.effort !== undefined) return thinking.effort;
  const budget = thinking.budgetTokens;
  if (budget === undefined) return 'medium';
  if (budget <= EFFORT_BUDGET.low) return 'low';
  if (budget <= EFFORT_BUDGET.medium) return 'medium';
  return 'high';
}
