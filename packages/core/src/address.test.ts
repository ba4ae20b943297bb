import { describe, expect, it } from 'vitest'
import { assertActorName, assertNodeId, parseAddress } from './address.js'
import { TroupeError } from './errors.js'

const badAddress = (fn: () => unknown, text: string) => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(TroupeError)
    expect((error as TroupeError).code).toBe('BAD_ADDRESS')
    expect((error as Error).message).toContain(text)
    return
  }
  throw new Error('expected a BAD_ADDRESS error')
}

describe('addresses', () => {
  it('splits name@node', () => {
    expect(parseAddress('printer@node2')).toEqual({ name: 'printer', node: 'node2' })
    expect(parseAddress('room/cursor.1@tab_3f-9a')).toEqual({ name: 'room/cursor.1', node: 'tab_3f-9a' })
  })

  it('names the bad part of a malformed address', () => {
    badAddress(() => parseAddress('printer'), 'missing "@node"')
    badAddress(() => parseAddress('a@b@c'), 'more than one "@"')
    badAddress(() => parseAddress('@n1'), 'bad actor name ""')
    badAddress(() => parseAddress('printer@'), 'bad node id ""')
    badAddress(() => parseAddress('pr inter@n1'), 'part "pr inter"')
    badAddress(() => parseAddress('printer@no de'), 'bad node id "no de"')
    badAddress(() => parseAddress('a//b@n1'), 'part ""')
    badAddress(() => parseAddress(42 as unknown as string), 'expected a string')
  })

  it('bounds lengths', () => {
    badAddress(() => assertNodeId('x'.repeat(65)), 'bad node id')
    badAddress(() => assertActorName('x'.repeat(129)), 'must be 1-128')
    badAddress(() => assertActorName(Array(100).fill('ab').join('/')), '1-256 characters')
    expect(() => assertNodeId('x'.repeat(64))).not.toThrow()
  })
})
