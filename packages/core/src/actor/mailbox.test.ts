import { describe, expect, it } from 'vitest'
import { Mailbox } from './mailbox.js'

describe('Mailbox', () => {
  it('is first in, first out', () => {
    const box = new Mailbox<number>(10)
    for (let i = 0; i < 5; i++) box.push(i)
    expect([box.shift(), box.shift(), box.shift()]).toEqual([0, 1, 2])
    box.push(5)
    expect(box.drain()).toEqual([3, 4, 5])
    expect(box.shift()).toBeUndefined()
  })

  it('refuses a push past its capacity', () => {
    const box = new Mailbox<number>(2)
    expect(box.push(1)).toBe(true)
    expect(box.push(2)).toBe(true)
    expect(box.push(3)).toBe(false)
    expect(box.size).toBe(2)
    box.shift()
    expect(box.push(3)).toBe(true)
  })

  it('keeps order as its ring wraps around and grows under a queue that never empties', () => {
    const box = new Mailbox<number>(100_000)
    const out: number[] = []
    let next = 0
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) box.push(next++)
      for (let i = 0; i < 90; i++) out.push(box.shift()!)
    }
    out.push(...box.drain())
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i))
  })

  it('keeps order through a burst larger than the ring it keeps, and after it', () => {
    const box = new Mailbox<number>(100_000)
    for (let i = 0; i < 20_000; i++) box.push(i)
    const out = Array.from({ length: 20_000 }, () => box.shift())
    expect(out).toEqual(Array.from({ length: 20_000 }, (_, i) => i))
    expect(box.shift()).toBeUndefined()
    for (let i = 0; i < 40; i++) box.push(i)
    expect(box.drain()).toEqual(Array.from({ length: 40 }, (_, i) => i))
  })
})
