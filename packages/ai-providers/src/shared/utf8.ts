/**
 * Shared UTF-8 codecs. Only ever used on complete buffers (never with `stream: true`), so one
 * instance per process is safe and avoids an allocation per call.
 */
export const UTF8_DECODER = new TextDecoder('utf-8');
export const UTF8_ENCODER = new TextEncoder();

export function bodyText(body: string | Uint8Array): string {
  return typeof body === 'string' ? body : UTF8_DECODER.decode(body);
}
