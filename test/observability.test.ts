/**
 * The Grafana dashboard and docs/observability.md speak of metrics the code
 * exports: a real hub with `metrics` on is scraped over HTTP, every PromQL
 * expression of docs/grafana/troupe.json is parsed with Prometheus's own
 * grammar (lezer-promql) and each metric it names must be exported; every
 * `troupe_*` family must be on the dashboard; the metrics table of the docs
 * must list exactly the `troupe_*` families, with their types and labels.
 */
import { readFileSync } from 'node:fs'
import { parser } from '@prometheus-io/lezer-promql'
import { createNode, type Node } from '@troupe/node'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Family,
  parsePrometheusText,
  sampleNames,
} from '../packages/node/test/support/prometheusText.js'

const doc = (path: string) => readFileSync(new URL(`../docs/${path}`, import.meta.url), 'utf8')

/** Every PromQL expression of a dashboard: panel targets (rows' panels too) and query variables. */
function expressions(dashboard: DashboardJson): string[] {
  const panels = (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])])
  const targets = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''))
  const variables = (dashboard.templating?.list ?? []).flatMap((variable) =>
    variable.type === 'query'
      ? [typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '')]
      : [],
  )
  // `label_values(metric, label)` is Grafana's, not PromQL: its metric is what it queries
  const fromVariables = variables.map((query) => /^label_values\((.+),\s*\w+\)$/.exec(query)?.[1] ?? query)
  return [...targets, ...fromVariables].filter((expr) => expr !== '')
}

interface DashboardJson {
  panels?: Array<{ panels?: DashboardJson['panels']; targets?: Array<{ expr?: string }> }>
  templating?: { list?: Array<{ type: string; query?: string | { query?: string } }> }
}

/** The metric names an expression selects, after Grafana's variables are given values; throws on invalid PromQL. */
function metricNames(expression: string): string[] {
  const promql = expression.replace(/\$__(rate_interval|interval|range)/g, '5m').replace(/\$\{?\w+\}?/g, 'x')
  const names: string[] = []
  const errors: string[] = []
  parser.parse(promql).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: "${promql.slice(node.from, node.from + 20)}"`)
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.push(promql.slice(node.from, node.to))
      }
    },
  })
  if (errors.length > 0) throw new Error(`not valid PromQL: ${promql}\n${errors.join('\n')}`)
  return names
}

let hub: Node
let client: Node
let registry: Registry
let families: Map<string, Family>

beforeAll(async () => {
  registry = new Registry()
  const { collectDefaultMetrics } = await import('prom-client')
  collectDefaultMetrics({ register: registry })
  hub = await createNode({ id: 'hub', listen: { host: '127.0.0.1', port: 0 }, metrics: { registry } })
  hub.spawn('echo', { receive: (message, ctx) => ctx.reply(message) })
  client = await createNode({ id: 'client', seeds: [hub.url!] })
  await client.ask('echo@hub', 'hi')
  const response = await fetch(`${hub.url!.replace(/^ws/, 'http')}/metrics`)
  families = parsePrometheusText(await response.text())
})

afterAll(async () => {
  await client?.close()
  await hub?.close()
})

describe('docs/grafana/troupe.json', () => {
  const dashboard = JSON.parse(doc('grafana/troupe.json')) as DashboardJson
  const queried = expressions(dashboard).flatMap(metricNames)

  it('queries only metrics a hub exports, in valid PromQL', () => {
    const exported = new Set([...families.values()].flatMap(sampleNames))
    expect(queried.length).toBeGreaterThan(30)
    expect([...new Set(queried.filter((name) => !exported.has(name)))]).toEqual([])
  })

  it('shows every troupe_* metric', () => {
    const shown = new Set(queried)
    const troupe = [...families.values()].filter((family) => family.name.startsWith('troupe_'))
    expect(
      troupe.filter((family) => !sampleNames(family).some((name) => shown.has(name))).map((f) => f.name),
    ).toEqual([])
  })
})

describe('docs/observability.md', () => {
  it('lists every troupe_* metric with its type and labels, and nothing else', () => {
    const markdown = doc('observability.md')
    const start = markdown.indexOf('\n## Metrics\n')
    expect(start).toBeGreaterThan(-1)
    const section = markdown.slice(start + 1, markdown.indexOf('\n## ', start + 1))
    const documented = [...section.matchAll(/^\| `(troupe_\w+)` \| (\w+) \| ([^|]*) \|/gm)].map(
      ([, name, type, labels]) => `${name} ${type} ${labels!.trim()}`,
    )
    const actual = [...families.values()]
      .filter((family) => family.name.startsWith('troupe_'))
      .map((family) => {
        const labelNames = (registry.getSingleMetric(family.name) as unknown as { labelNames: string[] })
          .labelNames
        return `${family.name} ${family.type} ${labelNames.map((label) => `\`${label}\``).join(', ')}`
      })
    expect(documented.sort()).toEqual(actual.sort())
  })
})
