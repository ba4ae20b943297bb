/** The WebSocket protocol's limit on a close reason (RFC 6455 §5.5: a 125-byte control payload minus the code). */
const MAX_REASON_BYTES = 123

/**
 * A close reason cut to what a WebSocket close frame can carry (123 bytes of
 * UTF-8), without splitting a character: `ws` and browsers throw on longer ones.
 * @internal
 */
export function closeReason(text: string): string {
  let bytes = 0
  let end = 0
  for (const char of text) {
    const point = char.codePointAt(0)!
    bytes += point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4
    if (bytes > MAX_REASON_BYTES) return text.slice(0, end)
    end += char.length
  }
  return text
}
