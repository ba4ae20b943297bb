// `GET /metrics` of a hub process scraped while messages flow through it: the text is valid Prometheus
// exposition, the counters move (and only up), the per-peer series name hubs only.
import { type NodeWorker, startNodeWorker, waitFor } from '@troupe/test-support'
import { afterEach, describe, expect, it } from 'vitest'
import { type Family, parsePrometheusText, seriesValue } from './support/prometheusText.js'

const running: NodeWorker[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((worker) => worker.kill()))
})

async function start(id: string, options: Record<string, unknown>) {
  const worker = await startNodeWorker(id, options)
  running.push(worker)
  return worker
}

const listen = { host: '127.0.0.1', port: 0 }
const memberUp = (id: string) => (e: { event: string; id?: string }) => e.event === 'member-up' && e.id === id

async function scrape(url: string): Promise<{ families: Map<string, Family>; text: string; ms: number }> {
  const started = performance.now()
  const response = await fetch(`${url.replace(/^ws/, 'http')}/metrics`)
  const text = await response.text()
  const ms = performance.now() - started
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return { families: parsePrometheusText(text), text, ms }
}

describe('GET /metrics on a hub process', () => {
  it('serves valid Prometheus text whose counters move with the traffic, with per-peer series for hubs only', async () => {
    const h1 = await start('h1', { listen, metrics: true })
    const h2 = await start('h2', { listen, seeds: [h1.url] })
    await h1.waitFor(memberUp('h2'))
    const c1 = await start('c1', { seeds: [h1.url] })
    const c2 = await start('c2', { seeds: [h2.url] })
    await Promise.all([h1.waitFor(memberUp('c1')), h1.waitFor(memberUp('c2'))])

    const before = await scrape(h1.url)
    // c1 → c2 crosses both hubs (h1 relays); h1 → h2 is h1's own; nobody@h2 ends as dead letters
    await c1.stream({ targets: ['log@c2'], perTick: 20, tickMs: 10, count: 400 })
    await h1.stream({ targets: ['log@h2'], perTick: 20, tickMs: 10, count: 400 })
    expect(await h1.sendNumbered('nobody@h2', 0, 5)).toBe(5)
    expect(await h1.ask('echo@c1', 'ping', { timeoutMs: 5_000 })).toEqual({ ok: true, value: 'ping' })
    await waitFor(
      async () => (await c2.numbersFrom('c1')).length === 400 && (await h2.numbersFrom('h1')).length === 400,
      {
        timeoutMs: 20_000,
        what: 'the streams arrive',
      },
    )
    await h1.waitFor((e) => e.event === 'deadletter' && e.to === 'nobody@h2')
    const after = await scrape(h1.url)
    const { families } = after

    // counts are counters, levels gauges, the ask latency a histogram
    for (const family of families.values()) {
      if (!family.name.startsWith('troupe_')) continue
      const expected = family.name.endsWith('_total')
        ? 'counter'
        : family.name === 'troupe_ask_duration_seconds'
          ? 'histogram'
          : 'gauge'
      expect(`${family.name}: ${family.type}`).toBe(`${family.name}: ${expected}`)
    }
    // prom-client's default process metrics are there too
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(families.has(name), name).toBe(true)
    }

    const grew = (name: string, labels: Record<string, string> = {}) => {
      const was = seriesValue(before.families, name, labels) ?? 0
      const now = seriesValue(families, name, labels)
      expect(now, `${name}${JSON.stringify(labels)} is exported`).toBeDefined()
      expect(now! - was, `${name}${JSON.stringify(labels)} grew`).toBeGreaterThan(0)
    }
    grew('troupe_messages_sent_total')
    grew('troupe_messages_received_total')
    grew('troupe_envelopes_relayed_total')
    grew('troupe_dead_letters_total', { reason: 'no-such-actor' })
    grew('troupe_link_sent_bytes_total', { peer_role: 'hub', peer: 'h2' })
    grew('troupe_link_received_bytes_total', { peer_role: 'client' })
    grew('troupe_link_frames_sent_total', { peer_role: 'client' })
    expect(seriesValue(families, 'troupe_envelopes_relayed_total')).toBeGreaterThanOrEqual(400)
    expect(seriesValue(families, 'troupe_messages_sent_total')).toBeGreaterThanOrEqual(400)

    // a counter never goes down between two scrapes
    for (const family of before.families.values()) {
      if (family.type !== 'counter') continue
      for (const series of family.series) {
        const now = seriesValue(families, family.name, series.labels)
        expect(now, `${family.name}${JSON.stringify(series.labels)}`).toBeGreaterThanOrEqual(series.value)
      }
    }

    // levels: both hubs and both clients are up; one hub link, up, with an RTT; two client links
    expect(seriesValue(families, 'troupe_members', { role: 'hub', status: 'up' })).toBe(2)
    expect(seriesValue(families, 'troupe_members', { role: 'client', status: 'up' })).toBe(2)
    expect(seriesValue(families, 'troupe_clients')).toBe(1)
    expect(seriesValue(families, 'troupe_links', { peer_role: 'client', state: 'up' })).toBe(1)
    expect(seriesValue(families, 'troupe_link_up', { peer: 'h2' })).toBe(1)
    expect(seriesValue(families, 'troupe_link_rtt_seconds', { peer: 'h2' })).toBeGreaterThan(0)
    expect(seriesValue(families, 'troupe_node_info', { node: 'h1', role: 'hub' })).toBe(1)

    // asks are counted as they end
    expect(seriesValue(families, 'troupe_asks_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1)
    // the hub's client (c1) tells it of itself with its heartbeats: what it sent, and its actors
    await waitFor(
      async () => {
        const now = (await scrape(h1.url)).families
        return (
          (seriesValue(now, 'troupe_client_messages_sent_total') ?? 0) >= 400 &&
          seriesValue(now, 'troupe_client_actors') === 2
        )
      },
      { timeoutMs: 15_000, what: "c1's summary reaches h1's metrics" },
    )

    // bounded labels: no series names a client
    const labelValues = [...families.values()].flatMap((f) =>
      f.series.flatMap((s) => Object.values(s.labels)),
    )
    expect(labelValues).not.toContain('c1')
    expect(labelValues).not.toContain('c2')
    expect(after.text).toContain('# TYPE troupe_ask_duration_seconds histogram')

    const troupeFamilies = [...families.keys()].filter((name) => name.startsWith('troupe_'))
    const seriesCount = [...families.values()].reduce((n, f) => n + f.series.length, 0)
    console.log(
      `/metrics of a hub: ${families.size} families (${troupeFamilies.length} troupe_*), ${seriesCount} series, ` +
        `${after.text.length} bytes; scrapes took ${before.ms.toFixed(1)} and ${after.ms.toFixed(1)} ms`,
    )
  }, 60_000)
})
