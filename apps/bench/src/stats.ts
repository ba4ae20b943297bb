/** Small helpers for reporting benchmark figures. */

/** Runs `fn` `runs` times and returns the median of what it returns. */
export async function median(runs: number, fn: () => Promise<number> | number): Promise<number> {
  const results: number[] = []
  for (let i = 0; i < runs; i++) results.push(await fn())
  results.sort((a, b) => a - b)
  return results[Math.floor(results.length / 2)]!
}

/** Operations per second of `count` operations that took `ms`. */
export const perSecond = (count: number, ms: number) => (count / ms) * 1_000

export const formatRate = (rate: number) =>
  rate >= 1e6 ? `${(rate / 1e6).toFixed(2)} M/s` : `${(rate / 1e3).toFixed(1)} k/s`

/** Prints rows as an aligned table. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)))
  for (const row of rows) console.log(row.map((cell, col) => cell.padEnd(widths[col]!)).join('  '))
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
