import { DEFAULT_PROVIDER_KEY_HEADER, REDACTION_DETECTORS } from '@hubpo/api';
import type { AICredentials, AILogging } from '@hubpo/api';
import type { AICredentialsConfig, AILoggingConfig, RedactionPatternConfig } from '@hubpo/snapshot';
import safeRegex from 'safe-regex2';
import { Reasons } from './reasons.js';
import type { StatusBuilder } from './status-builder.js';
import type { TranslationContext } from './translation-context.js';

/** Default `aiLogging.maxChars`. */
export const DEFAULT_AI_LOG_MAX_CHARS = 4096;

/**
 * `spec.aiLogging` as the gateway runs it, or undefined when it logs nothing (neither prompts nor
 * completions). Custom patterns must compile with the gateway's engine and must not nest
 * repetition (`(a+)+`, the shape of catastrophic backtracking, checked with safe-regex2);
 * a pattern that fails either rejects the Policy, so nothing is ever logged half-redacted.
 */
export function aiLoggingToConfig(
  logging: AILogging | undefined,
  status: StatusBuilder,
  ctx: TranslationContext,
): AILoggingConfig | undefined {
  if (logging === undefined) return undefined;
  const patterns: RedactionPatternConfig[] = [];
  (logging.patterns ?? []).forEach((p, i) => {
    const at = `spec.aiLogging.patterns[${i}].regex`;
    const error = ctx.regex.check(p.regex);
    if (error !== null) {
      status.reject(Reasons.InvalidRegex, `${at}: ${error}`);
      return;
    }
    if (!safeRegex(p.regex)) {
      status.reject(
        Reasons.InvalidRegex,
        `${at}: nested or too many repetitions can backtrack catastrophically; simplify the pattern`,
      );
      return;
    }
    patterns.push({ name: p.name, regex: p.regex });
  });
  const prompts = logging.prompts ?? false;
  const completions = logging.completions ?? false;
  if (!prompts && !completions) return undefined;
  const asked = new Set<string>(logging.redact ?? REDACTION_DETECTORS);
  return {
    prompts,
    completions,
    redact: REDACTION_DETECTORS.filter((d) => asked.has(d)),
    patterns,
    maxChars: logging.maxChars ?? DEFAULT_AI_LOG_MAX_CHARS,
  };
}

/** `spec.aiCredentials` as the gateway runs it; undefined when pass-through is off. */
export function aiCredentialsToConfig(
  credentials: AICredentials | undefined,
): AICredentialsConfig | undefined {
  if (credentials === undefined || !credentials.passThrough) return undefined;
  return {
    passThrough: true,
    header: (credentials.header ?? DEFAULT_PROVIDER_KEY_HEADER).toLowerCase(),
    providers: credentials.providers === undefined ? null : [...credentials.providers].sort(),
  };
}
