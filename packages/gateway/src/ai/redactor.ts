import type { RedactionDetectorName, RedactionPatternConfig } from '@hubpo/snapshot';

/** One compiled rule: a global regex and what replaces a match (a function may keep a match). */
interface RedactionRule {
  readonly regex: RegExp;
  readonly replace: string | ((match: string) => string);
}

/** Longest custom pattern source the gateway compiles (the translator enforces the same). */
export const MAX_PATTERN_SOURCE = 256;

const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;

/**
 * The built-in detectors, in the order they run (secrets first, so an e-mail-shaped token inside
 * a key is redacted as a key). Every pattern is linear or bounded: no nested repetition, and
 * character classes that do not overlap across adjacent repeats.
 */
const BUILTIN: Readonly<Record<RedactionDetectorName, readonly RedactionRule[]>> = Object.freeze({
  apiKey: [
    // Provider and platform key shapes: OpenAI / Anthropic (sk-...), AWS access key ids, GitHub,
    // Slack and Google API keys, JWTs, and bearer tokens.
    { regex: /\bsk-[A-Za-z0-9_-]{16,}/g, replace: '[REDACTED:apiKey]' },
    { regex: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: '[REDACTED:apiKey]' },
    { regex: /\bgh[pousr]_[A-Za-z0-9]{30,}/g, replace: '[REDACTED:apiKey]' },
    { regex: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: '[REDACTED:apiKey]' },
    { regex: /\bAIza[0-9A-Za-z_-]{35}/g, replace: '[REDACTED:apiKey]' },
    { regex: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: '[REDACTED:apiKey]' },
    { regex: /\b(Bearer\s)[A-Za-z0-9._~+/-]{8,}=*/gi, replace: '$1[REDACTED:apiKey]' },
    // `password=...`, `api_key: ...`, `secret ...`: keep the name, drop the value.
    {
      regex:
        /\b((?:api[_-]?key|secret|password|passwd|token|access[_-]?key)["']?\s{0,3}[:=]\s{0,3}["']?)[^\s"',;]{4,}/gi,
      replace: '$1[REDACTED:apiKey]',
    },
  ],
  email: [
    {
      regex: /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b/g,
      replace: '[REDACTED:email]',
    },
  ],
  creditCard: [
    { regex: CARD_CANDIDATE, replace: (match) => (luhnValid(match) ? '[REDACTED:creditCard]' : match) },
  ],
  ipAddress: [
    {
      regex: /\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b/g,
      replace: '[REDACTED:ipAddress]',
    },
    // IPv6, full or compressed (at least two groups around "::", or eight groups).
    {
      regex: /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![0-9A-Fa-f:])/g,
      replace: '[REDACTED:ipAddress]',
    },
    {
      regex:
        /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}(?![0-9A-Fa-f:])/g,
      replace: '[REDACTED:ipAddress]',
    },
  ],
  phone: [
    // International (+country ...) or grouped national numbers of 8 to 15 digits.
    {
      regex: /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?!\w)/g,
      replace: '[REDACTED:phone]',
    },
    {
      regex: /(?<![\w+])\(?\d{2,4}\)?[ .-]\d{3,4}[ .-]\d{3,5}(?!\w)/g,
      replace: '[REDACTED:phone]',
    },
  ],
});

/** Order in which built-in detectors run, whatever order the policy lists them in. */
const ORDER: readonly RedactionDetectorName[] = ['apiKey', 'email', 'creditCard', 'ipAddress', 'phone'];

/**
 * Redacts text for logs: built-in detectors, then the policy's own patterns, each match replaced
 * by `[REDACTED:<name>]`. Compiled once per snapshot (policy patterns come checked by the
 * translator: they compile and have no nested repetition); the input is bounded by the caller
 * (`maxChars`), so no regex ever runs over an unbounded prompt.
 */
export class Redactor {
  readonly #rules: readonly RedactionRule[];

  constructor(detectors: readonly RedactionDetectorName[], patterns: readonly RedactionPatternConfig[]) {
    const wanted = new Set(detectors);
    const rules: RedactionRule[] = [];
    for (const name of ORDER) if (wanted.has(name)) rules.push(...BUILTIN[name]);
    for (const p of patterns) {
      if (p.regex.length > MAX_PATTERN_SOURCE)
        throw new Error(`pattern "${p.name}" is longer than 256 characters`);
      // A replacement string is literal here: `$` in a name cannot reference a group.
      const label = `[REDACTED:${p.name}]`;
      rules.push({ regex: new RegExp(p.regex, 'g'), replace: () => label });
    }
    this.#rules = rules;
  }

  /** Whether any rule applies (an empty redactor returns its input). */
  get empty(): boolean {
    return this.#rules.length === 0;
  }

  redact(text: string): string {
    let out = text;
    for (const rule of this.#rules) {
      rule.regex.lastIndex = 0;
      out =
        typeof rule.replace === 'string'
          ? out.replace(rule.regex, rule.replace)
          : out.replace(rule.regex, rule.replace);
    }
    return out;
  }
}

/** The Luhn checksum over the digits of `candidate` (separators ignored). */
function luhnValid(candidate: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = candidate.length - 1; i >= 0; i--) {
    const code = candidate.charCodeAt(i) - 48;
    if (code < 0 || code > 9) continue;
    let d = code;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}
