/**
 * What the benchmarks need to know about the machine: the cores this process
 * may use, whether `taskset` can pin a child to one of them, the open-file
 * limit children get, and the load average around a run.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { availableParallelism, loadavg } from 'node:os'

/** The open-file limit children ask for; capped at the hard limit. */
export const WANTED_OPEN_FILES = 65_535

let tasksetWorks: boolean | undefined
let allowed: number[] | undefined

/** Pinning turned off by `BENCH_PIN=0` (on a machine shared with other work, the scheduler may do better). */
const pinningOff = () => process.env.BENCH_PIN === '0'

/**
 * Whether to pin: `taskset` is installed and works here (containers may
 * forbid changing affinity), and `BENCH_PIN=0` did not turn pinning off.
 */
export function canPin(): boolean {
  if (pinningOff()) return false
  tasksetWorks ??= spawnSync('taskset', ['-c', String(allowedCpus()[0] ?? 0), 'true']).status === 0
  return tasksetWorks
}

/** The CPU ids this process may run on (from `taskset -pc`, else 0..n-1). */
export function allowedCpus(): number[] {
  if (allowed !== undefined) return allowed
  allowed = Array.from({ length: availableParallelism() }, (_, cpu) => cpu)
  const probe = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' })
  const list = probe.status === 0 ? /:\s*([\d,-]+)\s*$/.exec(probe.stdout)?.[1] : undefined
  if (list !== undefined) {
    allowed = list.split(',').flatMap((range) => {
      const [from, to = from] = range.split('-').map(Number) as [number, number?]
      return Array.from({ length: to - from + 1 }, (_, i) => from + i)
    })
  }
  return allowed
}

/**
 * The `cpu`-th allowed core, for pinning with `taskset -c`, or undefined when
 * pinning is unavailable or there are fewer than `needed` cores (pinning
 * would then crowd processes that the scheduler can spread).
 */
export function coreFor(index: number, needed: number): number | undefined {
  const cpus = allowedCpus()
  if (!canPin() || cpus.length < needed) return undefined
  return cpus[index % cpus.length]
}

/**
 * A hub on the last allowed core and everything else on the others (a
 * `taskset` list), or both undefined when pinning is unavailable or there is
 * a single core.
 */
export function hubAndRest(): { hub: number | undefined; rest: string | undefined } {
  const cpus = allowedCpus()
  if (!canPin() || cpus.length < 2) return { hub: undefined, rest: undefined }
  return { hub: cpus[cpus.length - 1], rest: cpus.slice(0, -1).join(',') }
}

/** One line saying how processes were pinned, or why they were not. */
export function describePinning(
  assignments: Record<string, number | string | undefined>,
  needed: number,
): string {
  if (pinningOff()) return 'not pinned: BENCH_PIN=0'
  if (!canPin()) return 'not pinned: taskset is not available (or may not change affinity) here'
  const cores = allowedCpus().length
  if (cores < needed)
    return `not pinned: ${cores} cores for ${needed} busy processes; the scheduler spreads them`
  const parts = Object.entries(assignments).map(
    ([name, cpu]) =>
      `${name} on ${typeof cpu === 'string' && cpu.includes(',') ? 'cores' : 'core'} ${cpu ?? 'any'}`,
  )
  return `pinned with taskset -c: ${parts.join(', ')}`
}

let openFiles: number | undefined

/** The open-file limit (`ulimit -n`) a child started through {@link raiseOpenFilesCommand} gets. */
export function childOpenFileLimit(): number {
  openFiles ??= Number(
    execFileSync('bash', ['-c', `${raiseOpenFilesCommand()}; ulimit -n`], { encoding: 'utf8' }).trim(),
  )
  return openFiles
}

/** Bash that raises the soft open-file limit to {@link WANTED_OPEN_FILES}, or to the hard limit if that is lower. */
export const raiseOpenFilesCommand = () =>
  `ulimit -n ${WANTED_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"`

/** The hard open-file limit of this shell's children. */
export const hardOpenFileLimit = () => execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()

/** The 1-minute load average. */
export const loadAverage = () => loadavg()[0]!

/** One line with the cores and the load, warning when the machine looks busy. */
export function describeMachine(): string {
  const load = loadAverage()
  const cores = allowedCpus().length
  const busy = load > cores * 0.75 ? ' (busy: expect noisy figures)' : ''
  return `${cores} cores, Node ${process.version}, load average ${load.toFixed(2)}${busy}`
}

/** This process's CPU time (user + system) over the next `seconds`, in % of one core. */
export async function cpuPercentOver(seconds: number): Promise<number> {
  const before = process.cpuUsage()
  const start = performance.now()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000))
  const used = process.cpuUsage(before)
  return ((used.user + used.system) / 1_000 / (performance.now() - start)) * 100
}

/** Heap used and RSS of this process after full garbage collections (needs `--expose-gc`). */
export function memoryAfterGc(): { heapUsed: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('memoryAfterGc: start Node with --expose-gc')
  // twice: the first pass may only queue finalizers whose garbage the second one frees
  gc()
  gc()
  const { heapUsed, rss } = process.memoryUsage()
  return { heapUsed, rss }
}
