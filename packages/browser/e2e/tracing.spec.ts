import { type SpanInfo, startNodeWorker } from '@troupe/test-support'
import { expect, SLOW, test } from './support/fixtures.js'

/** `SpanKind` values. */
const SERVER = 1
const CLIENT = 2

const named = (spans: SpanInfo[], name: string): SpanInfo => {
  const span = spans.find((s) => s.name === name)
  if (span === undefined) throw new Error(`no span "${name}" in ${spans.map((s) => s.name).join(', ')}`)
  return span
}

test.describe('tracing', () => {
  test('one trace from a tab, through the hub that relays it, to a Node actor and what it asks', async ({
    cluster,
  }) => {
    // the hub traces nothing: it passes the trace context on with the bytes it relays
    const hub = await cluster.hub('hub1')
    const worker = await startNodeWorker('worker', { seeds: [hub.url] }, { traced: true })
    try {
      const tab = await cluster.tab('tabA', [hub.url], { traced: true })
      await expect.poll(() => tab.state(), SLOW).toBe('online')
      await expect
        .poll(async () => (await tab.call('ask', 'echo@worker', 'ping', { timeoutMs: 2_000 })).ok, SLOW)
        .toBe(true)

      const { result, spans: inTab } = await tab.call('tracedAsk', 'click', 'api@worker', { save: 1 })
      expect(result).toEqual({ ok: true, value: { save: 1 } })
      await expect.poll(async () => (await worker.spans()).length, SLOW).toBeGreaterThanOrEqual(3)
      const inWorker = await worker.spans()

      const root = named(inTab, 'click')
      const ask = named(inTab, 'ask api@worker')
      const handle = named(inWorker, 'handle api@worker')
      const innerAsk = named(inWorker, 'ask echo@worker')
      const innerHandle = named(inWorker, 'handle echo@worker')
      // one trace, across the browser and the Node process
      for (const span of [ask, handle, innerAsk, innerHandle]) expect(span.traceId).toBe(root.traceId)
      expect([ask.kind, handle.kind, innerAsk.kind, innerHandle.kind]).toEqual([
        CLIENT,
        SERVER,
        CLIENT,
        SERVER,
      ])
      expect(ask.parentSpanId).toBe(root.spanId)
      expect(handle.parentSpanId).toBe(ask.spanId)
      expect(innerAsk.parentSpanId).toBe(handle.spanId)
      expect(innerHandle.parentSpanId).toBe(innerAsk.spanId)

      // outside a trace nothing is made, on either side
      expect((await tab.call('ask', 'api@worker', 'untraced')).ok).toBe(true)
      expect((await worker.spans()).length).toBe(inWorker.length)
    } finally {
      await worker.kill()
    }
  })
})
