import { sleep } from '@troupe/test-support'
import { expect, range, SLOW, type Tab } from './fixtures.js'
import type { Hub } from './hubs.js'

/** One direction of numbered traffic: who sends `{ from, seq }` to whose `log` recorder. */
export interface Stream {
  readonly label: string
  send(first: number, count: number, options?: { ttlMs?: number }): Promise<number>
  /** The `seq`s the receiver got from the sender, in order. */
  received(): Promise<number[]>
}

type Peer = Tab | Hub

const isTab = (peer: Peer): peer is Tab => 'call' in peer

/** Numbered messages from `from` to `to`'s `log` recorder. */
export function stream(from: Peer, to: Peer): Stream {
  const target = `log@${to.id}`
  return {
    label: `${from.id} → ${to.id}`,
    send: (first, count, options) =>
      isTab(from)
        ? from.call('sendNumbered', target, first, count, options)
        : from.sendNumbered(target, first, count, options),
    received: () => to.numbersFrom(from.id),
  }
}

/** Sends `seq` `first` … `first + count - 1` on every stream; every send must be accepted. */
export async function sendAll(
  streams: Stream[],
  first: number,
  count: number,
  options?: { ttlMs?: number },
): Promise<void> {
  for (const s of streams)
    expect(await s.send(first, count, options), `${s.label}: sends accepted`).toBe(count)
}

/** Waits until every stream has delivered exactly 0 … count-1, in order. */
export async function expectDelivered(
  streams: Stream[],
  count: number,
  timeout = SLOW.timeout,
): Promise<void> {
  for (const s of streams) {
    await expect
      .poll(() => s.received(), { ...SLOW, timeout, message: `${s.label}: received` })
      .toEqual(range(count))
  }
}

/** {@link expectDelivered}, then a second look a moment later: a late duplicate fails it too. */
export async function expectDeliveredOnce(
  streams: Stream[],
  count: number,
  timeout = SLOW.timeout,
): Promise<void> {
  await expectDelivered(streams, count, timeout)
  // a window for a late duplicate to show up in
  await sleep(1_500)
  for (const s of streams)
    expect(await s.received(), `${s.label}: received, a moment later`).toEqual(range(count))
}

/** `[0, 1, 1, 2]` → `[0, 1, 2]`: each number where it first arrived. */
const firstArrivals = (list: number[]) => [...new Set(list)]

/**
 * For at-least-once paths (a client failing over to another hub): waits until every stream has
 * delivered 0 … count-1, each first arrival in order; re-sent duplicates are allowed, and
 * counted in the returned record (by stream label).
 */
export async function expectDeliveredAtLeastOnce(
  streams: Stream[],
  count: number,
  timeout = SLOW.timeout,
): Promise<Record<string, number>> {
  const duplicates: Record<string, number> = {}
  for (const s of streams) {
    await expect
      .poll(async () => firstArrivals(await s.received()), {
        ...SLOW,
        timeout,
        message: `${s.label}: received (first arrivals)`,
      })
      .toEqual(range(count))
    duplicates[s.label] = (await s.received()).length - count
  }
  return duplicates
}
