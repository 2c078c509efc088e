const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Where a string value sits in a JSON text: `json.slice(start, end)` is the literal, quotes included. */
export interface StringRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Replaces the value of the string field `key` of the top-level object in the JSON text `json`
 * with `replacement` (a JSON string literal, quotes included), without parsing the document.
 * Returns `json` unchanged when the top-level object has no such string field. Meant for relaying
 * a provider's answer with one field rewritten (the model name) at a fraction of the cost of
 * `JSON.parse` + `JSON.stringify`.
 */
export function replaceTopLevelString(json: string, key: string, replacement: string): string {
  const range = topLevelStringRange(json, key);
  return range === null ? json : json.slice(0, range.start) + replacement + json.slice(range.end);
}

/**
 * Finds the string value of the field `key` of the top-level object in `json`: strings are
 * skipped with `indexOf`, nested objects and arrays by depth, so a `key` nested deeper or
 * appearing inside a string value is never taken. Null when there is no such string field (or
 * the text is not well-formed where the scan looked). Fields usually come early (OpenAI writes
 * `model` before `choices`), so the scan stops after a few dozen bytes.
 */
export function topLevelStringRange(json: string, key: string): StringRange | null {
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(json, i);
      if (end < 0) return null;
      if (depth === 1 && end - i - 1 === key.length && json.startsWith(key, i + 1)) {
        const colon = skipSpace(json, end + 1);
        // A string followed by a colon is a key; the same text as a value is followed by , or }.
        if (json.charCodeAt(colon) === COLON) return stringValueAt(json, skipSpace(json, colon + 1));
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return null;
}

function stringValueAt(json: string, start: number): StringRange | null {
  if (json.charCodeAt(start) !== QUOTE) return null;
  const end = stringEnd(json, start);
  return end < 0 ? null : { start, end: end + 1 };
}

/** Index of the quote closing the string opened at `open`, or -1. */
function stringEnd(json: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = json.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let b = quote - 1; b > open && json.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

function skipSpace(json: string, from: number): number {
  let i = from;
  for (;;) {
    const c = json.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}
