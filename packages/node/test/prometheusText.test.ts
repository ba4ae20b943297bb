// The test reader of the exposition format refuses what Prometheus would refuse, so the metrics tests
// that rely on it can fail.
import { Counter, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { parsePrometheusText, seriesValue } from './support/prometheusText.js'

describe('parsePrometheusText', () => {
  it("reads prom-client's output: counters, labelled histograms, escaped label values", async () => {
    const registry = new Registry()
    new Counter({ name: 'a_total', help: 'A.', labelNames: ['k'], registers: [registry] }).inc(
      { k: 'x"\\\ny' },
      2,
    )
    const h = new Histogram({
      name: 'h_seconds',
      help: 'H.',
      labelNames: ['o'],
      buckets: [0.1, 1],
      registers: [registry],
    })
    h.observe({ o: 'ok' }, 0.05)
    h.observe({ o: 'ok' }, 0.5)
    h.observe({ o: 'no' }, 5)
    const families = parsePrometheusText(await registry.metrics())
    expect(seriesValue(families, 'a_total', { k: 'x"\\\ny' })).toBe(2)
    expect(families.get('h_seconds')?.series).toEqual([
      {
        labels: { o: 'ok' },
        value: 2,
        sum: 0.55,
        buckets: [
          [0.1, 1],
          [1, 2],
          [Number.POSITIVE_INFINITY, 2],
        ],
      },
      {
        labels: { o: 'no' },
        value: 1,
        sum: 5,
        buckets: [
          [0.1, 0],
          [1, 0],
          [Number.POSITIVE_INFINITY, 1],
        ],
      },
    ])
  })

  it.each([
    ['no final line feed', '# TYPE a gauge\na 1'],
    ['a bad value', '# TYPE a gauge\na one\n'],
    ['a bad label', '# TYPE a gauge\na{b=1} 1\n'],
    ['a series twice', '# TYPE a gauge\na{b="1"} 1\na{b="1"} 2\n'],
    ['a family split in two', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{c="1"} 1\n'],
    ['TYPE after a sample', 'a 1\n# TYPE a gauge\n'],
    ['a negative counter', '# TYPE a_total counter\na_total -1\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    [
      'a histogram whose count is not +Inf',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n',
    ],
    [
      'buckets that go down',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
    ['a bucket without le', '# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow()
  })
})
