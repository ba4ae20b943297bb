import { TroupeError } from './errors.js'

/**
 * An actor's address, `name@nodeId`, for example `printer@node2`.
 * Child actors are named `parent/child`.
 */
export type Address = string

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/
const SEGMENT = /^[A-Za-z0-9_.:-]{1,128}$/
const MAX_NAME_LENGTH = 256

/** Throws a `BAD_ADDRESS` error unless `id` is a valid node id (1–64 of `A-Z a-z 0-9 _ -`). */
export function assertNodeId(id: string): void {
  if (typeof id !== 'string' || !NODE_ID.test(id)) {
    throw new TroupeError(
      'BAD_ADDRESS',
      `bad node id ${JSON.stringify(id)}: use 1-64 characters of letters, digits, "_" and "-"`,
    )
  }
}

/**
 * Throws a `BAD_ADDRESS` error unless `name` is a valid actor name: segments of
 * 1–128 letters, digits, `_ . : -`, joined by `/`, at most 256 characters.
 */
export function assertActorName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new TroupeError('BAD_ADDRESS', `bad actor name ${JSON.stringify(name)}: use 1-256 characters`)
  }
  for (const segment of name.split('/')) {
    if (!SEGMENT.test(segment)) {
      throw new TroupeError(
        'BAD_ADDRESS',
        `bad actor name ${JSON.stringify(name)}: part ${JSON.stringify(segment)} must be 1-128 letters, digits, "_", ".", ":" or "-"`,
      )
    }
  }
}

/** Splits `name@nodeId`, validating both parts; throws `BAD_ADDRESS` naming the bad part. */
export function parseAddress(address: Address): { name: string; node: string } {
  if (typeof address !== 'string') {
    throw new TroupeError('BAD_ADDRESS', `bad address ${String(address)}: expected a string "name@node"`)
  }
  const at = address.indexOf('@')
  if (at === -1) {
    throw new TroupeError('BAD_ADDRESS', `bad address ${JSON.stringify(address)}: missing "@node" part`)
  }
  if (address.indexOf('@', at + 1) !== -1) {
    throw new TroupeError('BAD_ADDRESS', `bad address ${JSON.stringify(address)}: more than one "@"`)
  }
  const name = address.slice(0, at)
  const node = address.slice(at + 1)
  try {
    assertActorName(name)
    assertNodeId(node)
  } catch (error) {
    throw new TroupeError(
      'BAD_ADDRESS',
      `bad address ${JSON.stringify(address)}: ${(error as Error).message}`,
    )
  }
  return { name, node }
}

/** Joins a name and a node id into an address. */
export function formatAddress(name: string, node: string): Address {
  return `${name}@${node}`
}
