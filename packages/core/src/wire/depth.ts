const NO_EXTENSIONS: ReadonlySet<number> = new Set()

/**
 * True when the msgpack data in `bytes` nests containers deeper than
 * `maxDepth`, found by walking the bytes without building anything. Run before
 * decoding, so a small frame nested a million levels deep costs a scan, not a
 * million arrays. Extensions of a type in `nestedExtensions` hold msgpack data
 * of their own and count as one more level. Malformed or truncated data
 * answers false: the decoder that runs next says what is wrong with it.
 */
export function msgpackTooDeep(
  bytes: Uint8Array,
  maxDepth: number,
  nestedExtensions: ReadonlySet<number> = NO_EXTENSIONS,
): boolean {
  // every level opened takes a byte at least: most message bodies are too short to need the walk
  if (bytes.length <= maxDepth) return false
  /** Items still to come in each open container, innermost last. */
  const open: number[] = []
  const end = bytes.length
  let pos = 0
  while (pos < end) {
    if (open.length > 0) open[open.length - 1]!--
    const head = bytes[pos++]!
    /** Items in the container this head opens, or -1 if it opens none. */
    let items = -1
    if (head <= 0x7f || head >= 0xe0) {
      // fixint: nothing more
    } else if (head <= 0x8f) items = (head & 0x0f) * 2
    else if (head <= 0x9f) items = head & 0x0f
    else if (head <= 0xbf) pos += head & 0x1f
    else {
      switch (head) {
        case 0xc4:
        case 0xd9:
          pos += 1 + uintAt(bytes, pos, 1)
          break
        case 0xc5:
        case 0xda:
          pos += 2 + uintAt(bytes, pos, 2)
          break
        case 0xc6:
        case 0xdb:
          pos += 4 + uintAt(bytes, pos, 4)
          break
        case 0xc7:
        case 0xc8:
        case 0xc9: {
          const lengthBytes = head === 0xc7 ? 1 : head === 0xc8 ? 2 : 4
          const size = uintAt(bytes, pos, lengthBytes)
          pos += lengthBytes
          const type = bytes[pos++] ?? 0
          if (nestedExtensions.has(type)) items = 1
          else pos += size
          break
        }
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8: {
          const type = bytes[pos++] ?? 0
          const size = 1 << (head - 0xd4)
          if (nestedExtensions.has(type)) items = 1
          else pos += size
          break
        }
        case 0xca:
        case 0xce:
        case 0xd2:
          pos += 4
          break
        case 0xcb:
        case 0xcf:
        case 0xd3:
          pos += 8
          break
        case 0xcc:
        case 0xd0:
          pos += 1
          break
        case 0xcd:
        case 0xd1:
          pos += 2
          break
        case 0xdc:
          items = uintAt(bytes, pos, 2)
          pos += 2
          break
        case 0xdd:
          items = uintAt(bytes, pos, 4)
          pos += 4
          break
        case 0xde:
          items = uintAt(bytes, pos, 2) * 2
          pos += 2
          break
        case 0xdf:
          items = uintAt(bytes, pos, 4) * 2
          pos += 4
          break
        default:
          // nil, false, true, or the unused 0xc1: nothing more
          break
      }
    }
    if (items >= 0) {
      if (open.length >= maxDepth) return true
      if (items > 0) open.push(items)
    }
    while (open.length > 0 && open[open.length - 1] === 0) open.pop()
  }
  return false
}

/** The big-endian unsigned integer of `size` bytes at `pos` (bytes past the end read as 0). */
function uintAt(bytes: Uint8Array, pos: number, size: number): number {
  let value = 0
  for (let i = 0; i < size; i++) value = value * 256 + (bytes[pos + i] ?? 0)
  return value
}
