// The NATS KV details natsStorage relies on: opening buckets, keys, and telling
// a moved revision or an absent stream from other failures.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream'
import type { KV, KvEntry, Kvm, KvOptions } from '@nats-io/kv'
import { Empty, type NatsConnection, NoRespondersError, TimeoutError } from '@nats-io/transport-node'

/** JetStream's answers to the slower of two clients creating one bucket at once. */
const STREAM_NAME_IN_USE = 10058
const STREAM_SUBJECTS_OVERLAP = 10065

/** @internal Opens bucket `name`, creating it with `options` if missing. */
export async function openBucket(kvm: Kvm, name: string, options: Partial<KvOptions>): Promise<KV> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await kvm.create(name, options)
    } catch (error) {
      // another client created it meanwhile: the next attempt finds it
      const raced =
        error instanceof JetStreamApiError &&
        (error.code === STREAM_NAME_IN_USE || error.code === STREAM_SUBJECTS_OVERLAP)
      if (!raced || attempt === 5) throw error
      await sleep(10 * attempt)
    }
  }
}

/**
 * @internal Waits until `bucket` answers a direct get. nats-server 2.9 lists a stream
 * that another client is still creating, yet ignores direct gets to it (the caller
 * would wait its whole timeout) and can crash on a STREAM.MSG.GET to it.
 */
export async function untilAnswering(
  connection: NatsConnection,
  bucket: KV,
  giveUpAfterMs: number,
): Promise<void> {
  const { streamInfo, bucket: name } = await bucket.status()
  if (streamInfo.config.allow_direct !== true) return
  const probe = `$JS.API.DIRECT.GET.${streamInfo.config.name}.$KV.${name}.k`
  const giveUpAt = Date.now() + giveUpAfterMs
  for (let delayMs = 5; ; delayMs = Math.min(2 * delayMs, 100)) {
    try {
      await connection.request(probe, Empty, { timeout: 250 })
      return
    } catch (error) {
      const notYet = error instanceof TimeoutError || causedByNoResponders(error)
      if (!notYet || Date.now() > giveUpAt) throw error
      await sleep(delayMs)
    }
  }
}

/** @internal Follows the connection's status events; the client reconnects by itself. */
export function watchConnected(connection: NatsConnection): () => boolean {
  let connected = true
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') connected = false
      else if (status.type === 'reconnect') connected = true
    }
  })().catch(() => {})
  return () => connected
}

/** @internal A key as a KV key: KV keys allow few characters, base64url keeps to them (`k` makes `""` valid too). */
export function encodeKey(key: string): string {
  return `k${Buffer.from(key, 'utf8').toString('base64url')}`
}

/** @internal The entry, unless it is absent or a delete marker. */
export function live(entry: KvEntry | null): KvEntry | undefined {
  return entry !== null && entry.operation === 'PUT' ? entry : undefined
}

/**
 * @internal Sends again, backing off, while no stream answers, for up to `giveUpAfterMs`: nothing
 * was stored then, so sending again is safe. A stream that another client is still
 * creating, or that is electing a leader, answers a moment later. (A timeout is not
 * retried: that write may have been stored.)
 */
export async function whileNoResponders<T>(send: () => Promise<T>, giveUpAfterMs: number): Promise<T> {
  const giveUpAt = Date.now() + giveUpAfterMs
  for (let delayMs = 5; ; delayMs = Math.min(2 * delayMs, 250)) {
    try {
      return await send()
    } catch (error) {
      if (!causedByNoResponders(error) || Date.now() + delayMs > giveUpAt) throw error
      await sleep(delayMs)
    }
  }
}

function causedByNoResponders(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof NoRespondersError) return true
  }
  return false
}

/** @internal Resolves `undefined` when the server refused a write because the key's revision moved on. */
export async function ifCurrent<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write
  } catch (error) {
    const moved =
      error instanceof JetStreamApiError &&
      (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
        error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
    if (moved) return undefined
    throw error
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
