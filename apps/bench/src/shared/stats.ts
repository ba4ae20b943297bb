/** Small helpers for computing and printing benchmark figures. */

/** The median of `values` (the mean of the middle two of an even count); NaN when empty. */
export function medianOf(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The smallest of `values`; NaN when empty. */
export const minOf = (values: readonly number[]) => (values.length === 0 ? Number.NaN : Math.min(...values))

/** The sum of `values`. */
export const sumOf = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

/** Operations per second of `count` operations that took `ms`. */
export const perSecond = (count: number, ms: number) => (count / ms) * 1_000

/** `1.23 M/s` or `456.7 k/s`. */
export const formatRate = (rate: number) =>
  Number.isNaN(rate)
    ? '–'
    : rate >= 1e6
      ? `${(rate / 1e6).toFixed(2)} M/s`
      : rate >= 1e3
        ? `${(rate / 1e3).toFixed(1)} k/s`
        : `${rate.toFixed(0)} /s`

/** Milliseconds with three decimals below 10 ms, one above. */
export const formatMs = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 3 : 1) : '–')

/** `1.23×`, or `–` for a ratio that could not be computed. */
export const formatRatio = (ratio: number | undefined) =>
  ratio === undefined || !Number.isFinite(ratio) ? '–' : `${ratio.toFixed(2)}×`

/** Bytes as `812 B`, `12.3 KB` or `45.6 MB` (powers of 1,024). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–'
  const sign = bytes < 0 ? '-' : ''
  const size = Math.abs(bytes)
  if (size < 1_024) return `${sign}${size.toFixed(0)} B`
  if (size < 1_024 ** 2) return `${sign}${(size / 1_024).toFixed(1)} KB`
  return `${sign}${(size / 1_024 ** 2).toFixed(1)} MB`
}

/** `a / b`, or undefined when either is missing or `b` is 0. */
export function ratioOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || b === 0 || Number.isNaN(a) || Number.isNaN(b)) return undefined
  return a / b
}

/** `met` or `NOT met`, or `not measured` when the figure is missing. */
export const verdict = (met: boolean | undefined) =>
  met === undefined ? 'not measured' : met ? 'met' : 'NOT met'

/**
 * Prints one target line: `  what: met (1.23×)`, comparing `value` with
 * `target` (`atMost`: value ≤ target; `below`: value < target; `atLeast`: value ≥ target).
 */
export function printTarget(
  what: string,
  value: number | undefined,
  target: number,
  direction: 'atMost' | 'below' | 'atLeast',
  shown = formatRatio(value),
): void {
  const met =
    value === undefined || Number.isNaN(value)
      ? undefined
      : direction === 'atMost'
        ? value <= target
        : direction === 'below'
          ? value < target
          : value >= target
  console.log(`  ${what}: ${verdict(met)} (${shown})`)
}

/** Prints rows as an aligned table (a short row is padded with empty cells). */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)))
  for (const row of rows) console.log(widths.map((width, col) => (row[col] ?? '').padEnd(width)).join('  '))
}

/** A positive number from environment variable `name`, or `fallback` when it is unset. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name}=${JSON.stringify(raw)}: expected a positive number`)
  return value
}

/** A comma-separated list of positive integers from environment variable `name`, or `fallback`. */
export function envIntegers(name: string, fallback: readonly number[]): number[] {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return [...fallback]
  return raw.split(',').map((part) => {
    const value = Number(part.trim().replaceAll('_', ''))
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${name}=${JSON.stringify(raw)}: "${part}" is not a positive integer`)
    return value
  })
}
