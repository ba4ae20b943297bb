// A strict reader of the Prometheus text exposition format (0.0.4), for tests. The registry's
// parse-prometheus-text-format merges the series of a labelled histogram into one (it drops their
// `_sum` and `_count`), and Troupe's ask histogram is labelled, so this checks the format itself:
// every line, TYPE before samples, a family's lines together, no series twice, well-formed names,
// labels and values, counters not negative, histograms with cumulative buckets up to +Inf = count.

/** One series of a scrape: its labels and value (for a histogram: its count, with buckets and sum). */
export interface Series {
  labels: Record<string, string>
  value: number
  buckets?: Array<[le: number, count: number]>
  sum?: number
}

/** A metric family of a scrape. */
export interface Family {
  name: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  help: string
  series: Series[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?$/

/** A sample value as Prometheus reads it (Go's ParseFloat: `NaN`, `Inf` in any case; prom-client writes `Nan`). */
function parseValue(text: string, where: string): number {
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(text)
  if (special !== null) {
    if (special[2]!.toLowerCase() === 'nan') return Number.NaN
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value "${text}"`)
  return Number(text)
}

/** `{a="x",b="y\"z"}` → labels; throws on anything else. */
function parseLabels(text: string | undefined, where: string): Record<string, string> {
  const labels: Record<string, string> = {}
  if (text === undefined) return labels
  let rest = text.slice(1, -1)
  while (rest.length > 0) {
    const match = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)/.exec(rest)
    if (match === null) throw new Error(`${where}: bad labels ${text}`)
    const [whole, name, raw] = match as unknown as [string, string, string]
    if (name in labels) throw new Error(`${where}: label ${name} twice`)
    labels[name] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    rest = rest.slice(whole.length)
  }
  return labels
}

const seriesKey = (labels: Record<string, string>): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))

/** Parses Prometheus text exposition strictly; throws naming the first line that is wrong. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a line feed')
  const families = new Map<string, Family>()
  const closed = new Set<string>()
  let current: Family | undefined
  const raw = new Map<Family, Map<string, { labels: Record<string, string>; parts: Map<string, number> }>>()
  const open = (name: string, where: string): Family => {
    if (current?.name === name) return current
    if (closed.has(name) || families.has(name))
      throw new Error(`${where}: the lines of ${name} are not together`)
    if (current !== undefined) closed.add(current.name)
    current = { name, type: 'untyped', help: '', series: [] }
    families.set(name, current)
    raw.set(current, new Map())
    return current
  }

  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}`
    if (line.trim() === '') return
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line)
    if (meta !== null) {
      const [, keyword, name, rest = ''] = meta as unknown as [string, string, string, string?]
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`)
      const family = open(name, where)
      if (keyword === 'TYPE') {
        if (family.series.length > 0 || raw.get(family)!.size > 0)
          throw new Error(`${where}: TYPE after samples`)
        if (!TYPES.has(rest)) throw new Error(`${where}: bad type "${rest}"`)
        family.type = rest as Family['type']
      } else family.help = rest.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      return
    }
    if (line.startsWith('#')) return
    const sample = SAMPLE.exec(line)
    if (sample === null) throw new Error(`${where}: not a sample: ${line}`)
    const [, sampleName, labelText, valueText] = sample as unknown as [
      string,
      string,
      string | undefined,
      string,
    ]
    const labels = parseLabels(labelText, where)
    for (const label of Object.keys(labels)) {
      if (!LABEL_NAME.test(label)) throw new Error(`${where}: bad label name "${label}"`)
    }
    const value = parseValue(valueText, where)
    const suffix = /_(bucket|sum|count)$/.exec(sampleName)
    const base = suffix === null ? sampleName : sampleName.slice(0, suffix.index)
    const composite =
      current !== undefined &&
      current.name === base &&
      (current.type === 'histogram' || current.type === 'summary')
    const family = composite ? current! : open(sampleName, where)
    if (family.type === 'counter' && !(value >= 0))
      throw new Error(`${where}: counter ${sampleName} is ${value}`)
    const part = composite ? suffix![1]! : family.type === 'summary' ? 'quantile' : 'value'
    const own = { ...labels }
    let partKey = part
    if (part === 'bucket' || part === 'quantile') {
      const key = part === 'bucket' ? 'le' : 'quantile'
      if (own[key] === undefined) throw new Error(`${where}: ${sampleName} without ${key}`)
      partKey = `${part}:${parseValue(own[key]!, where)}`
      delete own[key]
    }
    const bySeries = raw.get(family)!
    const entry = bySeries.get(seriesKey(own)) ?? { labels: own, parts: new Map<string, number>() }
    bySeries.set(seriesKey(own), entry)
    if (entry.parts.has(partKey)) throw new Error(`${where}: series ${sampleName}${labelText ?? ''} twice`)
    entry.parts.set(partKey, value)
  })

  for (const [family, bySeries] of raw) {
    for (const { labels, parts } of bySeries.values()) {
      const where = `${family.name}${seriesKey(labels)}`
      if (family.type !== 'histogram') {
        family.series.push({ labels, value: parts.get('value') ?? parts.get('count') ?? Number.NaN })
        continue
      }
      const buckets = [...parts]
        .filter(([key]) => key.startsWith('bucket:'))
        .map(([key, count]): [number, number] => [Number(key.slice(7)), count])
        .sort(([a], [b]) => a - b)
      const count = parts.get('count')
      const sum = parts.get('sum')
      if (count === undefined || sum === undefined)
        throw new Error(`${where}: a histogram series needs _sum and _count`)
      if (buckets.at(-1)?.[0] !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no +Inf bucket`)
      if (buckets.at(-1)?.[1] !== count) throw new Error(`${where}: the +Inf bucket is not _count`)
      buckets.forEach(([le, n], i) => {
        if (i > 0 && n < buckets[i - 1]![1])
          throw new Error(`${where}: bucket le=${le} is below the one before`)
      })
      family.series.push({ labels, value: count, buckets, sum })
    }
  }
  return families
}

/** The sample names a family exports (a histogram's `_bucket`, `_sum` and `_count`). */
export function sampleNames(family: Family): string[] {
  if (family.type === 'histogram')
    return [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`]
  if (family.type === 'summary') return [family.name, `${family.name}_sum`, `${family.name}_count`]
  return [family.name]
}

/** The value of the first series of `family` whose labels include `labels`; undefined if none. */
export function seriesValue(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = families
    .get(family)
    ?.series.find((series) => Object.entries(labels).every(([name, value]) => series.labels[name] === value))
  return found?.value
}
