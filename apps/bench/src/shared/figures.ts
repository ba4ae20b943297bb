/**
 * The figures of a run as JSON, for docs: every benchmark records what it
 * printed, and the file named by `BENCH_JSON` is rewritten after each one,
 * so an interrupted run keeps what finished.
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { allowedCpus, loadAverage } from './system.js'

const run = {
  startedAt: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cores: allowedCpus().length,
  loadAverageAtStart: loadAverage(),
  benchmarks: {} as Record<string, unknown>,
}

/** The `BENCH_JSON` path, resolved against the directory `npm run bench` was started from. */
function jsonPath(): string | undefined {
  const raw = process.env.BENCH_JSON
  if (raw === undefined || raw === '') return undefined
  return resolve(process.env.INIT_CWD ?? process.cwd(), raw)
}

/**
 * Records `figures` under `benchmark` and rewrites the `BENCH_JSON` file, if set.
 * Numbers that are NaN (not measured) are written as null.
 *
 * @example
 * recordFigures('ask', { ws: { p50: 0.05 }, troupe: { p50: 0.06 } })
 */
export function recordFigures(benchmark: string, figures: unknown): void {
  run.benchmarks[benchmark] = figures
  const path = jsonPath()
  if (path === undefined) return
  writeFileSync(path, `${JSON.stringify(run, null, 2)}\n`)
}

/** Where the figures go, for a closing line; undefined when `BENCH_JSON` is unset. */
export const figuresPath = jsonPath
