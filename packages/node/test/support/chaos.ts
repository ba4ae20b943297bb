/**
 * The chaos driver: a cluster of real processes under steady traffic while a
 * seeded schedule SIGKILLs and restarts hubs and cuts and restores TCP
 * proxies; then it heals the cluster and checks what every receiver got
 * against what every sender sent. Used by `chaos.test.ts` and by the soak
 * benchmark (`apps/bench/src/soak.ts`).
 *
 * ## Topology
 *
 * Hubs h1, h2, h3 (one process each, a fixed port each, so a restart listens
 * where the old run did) and client-role nodes c1, c2. Every dial goes
 * through a TCP proxy: hub hN advertises its own proxy P_hN, so the hub links
 * go through P_h2 (h1-h2) and P_h3 (h1-h3, h2-h3). Each client has two
 * proxies: P_cN to h1 and P_cN_b to h2, and both as seeds; h1 admits a client
 * only through its P_cN and h2 only through its P_cN_b (their `authenticate`
 * hooks check the Host header), h3 admits no clients (4503, which a client
 * treats as "try another hub"). So a client sits behind h1 or h2, fails over
 * between them when its hub dies or its proxy is cut, and is offline while
 * both of its ways in are gone. Hubs admit each other with a hub secret.
 *
 * Every node streams numbered messages `{ from, run, seq }` to the `log` actor
 * of every other node (seq counts per target from 0 in each run of a
 * process), with a TTL far longer than any outage. Each `log` actor appends
 * each message it handles to a file of its own run with write(2): the record
 * survives a SIGKILL of the process the moment `receive` returns.
 *
 * ## Faults
 *
 * The driver cuts any proxy and SIGKILLs any hub, restarting it later as a
 * new run (a new incarnation), h1 and h2 included, which relay for the
 * clients. Delivery is end to end: a relay takes no responsibility for what
 * it passes on, so a relay that dies loses nothing its origin still holds,
 * and the origin sends it again on whatever route is up next. Only the
 * endpoints' own crashes lose messages, and each such loss has a place we can
 * name:
 *
 * - the receiver's crash: a killed run of the receiver had acknowledged
 *   messages (they were in its mailbox) that its `log` actor had not handled
 *   yet. They are neither sent again nor recorded. Delivery is in order, so
 *   they lie in the gap between the last message that run recorded from that
 *   sender and the first one a later run recorded;
 * - the sender's crash: a killed run of the sender had messages its
 *   receivers had not acknowledged: the tail of what that run sent.
 *
 * ## What is checked, for every sender run and every receiver
 *
 * 1. Within one run of the receiver, the numbers from one sender run go up by
 *    one each time (skipping only messages dead-lettered with a reason): in
 *    order, no duplicates, no silent holes.
 * 2. Every number the sender sent was recorded by some run of the receiver,
 *    or dead-lettered (anywhere, with a reason), or lost in a crash as above:
 *    - in the receiver's crash: the number lies between the highest recorded
 *      by a killed receiver run (or the runs before it) and the lowest
 *      recorded by a later run, that run was killed after the sender run
 *      started, and the number had been sent before it was killed (known
 *      from the sender's reports of what it had sent, stamped with the time);
 *    - in the sender's crash: the sender run was killed, and the number is
 *      above every number any receiver run recorded from it.
 *    Anything else is a violation.
 * 3. Pairs where neither end was restarted (the sender run lived to the end,
 *    and no run of the receiver was killed while that sender run lived):
 *    exactly the numbers 0..sent-1, in order, once each, all in the
 *    receiver's last run, no dead letters.
 * 4. The same number recorded by two runs of a restarted receiver is counted
 *    as a redelivery (at-least-once across restarts, as documented).
 *
 * The sent count of a killed run is the last one it reported (every 200 ms),
 * a lower bound; the driver's schedule is seeded (`SEED=` replays the same
 * faults in the same order with the same delays, though the processes' own
 * timing differs from run to run).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRandom } from '@troupe/core/testing'
import {
  createTcpProxy,
  forkNodeWorker,
  type NodeWorker,
  reservePorts,
  sleep,
  type TcpProxy,
} from '@troupe/test-support'

const HUBS = ['h1', 'h2', 'h3'] as const
const CLIENTS = ['c1', 'c2'] as const
/** Hubs the driver may kill: every one, relays included (see above). */
const KILLABLE = HUBS
/** The hubs that take clients, each through a proxy of every client's own. */
const CLIENT_HUBS = { h1: '', h2: '_b' } as const
const HUB_SECRET = 'chaos-hub-secret-0123456789'
const NODES = [...HUBS, ...CLIENTS]

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** How long faults are injected. */
  seconds: number
  /** Seeds the fault schedule. */
  seed: number
  /** Messages per target per tick, and the tick. @default 2 every 20 ms (100/s per pair) */
  perTick?: number
  tickMs?: number
  /** TTL of the streamed messages. @default 120_000 */
  ttlMs?: number
  /** Fault-free traffic after the cluster has healed, before the streams stop. @default 3 */
  healSeconds?: number
  /** How often every process's memory is sampled. @default 1_000 */
  sampleEveryMs?: number
  /** Called with each memory sample. */
  onSample?: (sample: MemorySample) => void
  /** Collect garbage in each process before sampling it, so heap figures show what is really held. @default false */
  gcBeforeSample?: boolean
  /** Progress lines (faults as they happen). @default silent */
  log?: (line: string) => void
}

/** Memory of every live process at one moment. */
export interface MemorySample {
  /** Seconds since the traffic started. */
  atSeconds: number
  /** Resident set size by node id, for the processes alive then. */
  rss: Record<string, number>
  heapUsed: Record<string, number>
}

/** What happened to one sender run's messages for one receiver. */
export interface PairReport {
  from: string
  run: number
  to: string
  /** Messages sent (for a killed run: at least this many, from its last report and what was recorded). */
  sent: number
  senderKilled: boolean
  receiverRuns: number
  /** Distinct numbers recorded by some run of the receiver. */
  delivered: number
  /** Numbers recorded again by a later run of a restarted receiver. */
  redelivered: number
  deadLettered: number
  lostInReceiverCrash: number
  lostInSenderCrash: number
  clean: boolean
}

/** The outcome of a chaos run. */
export interface ChaosReport {
  seed: number
  seconds: number
  faults: { kills: number; restarts: number; cuts: number; restores: number }
  totals: {
    sent: number
    delivered: number
    redelivered: number
    deadLettered: number
    lostInReceiverCrash: number
    lostInSenderCrash: number
  }
  deadLettersByReason: Record<string, number>
  pairs: PairReport[]
  cleanPairs: number
  /** Peak resident set size by node id, over all its runs. */
  peakRss: Record<string, number>
  /** Runs of each node (1 + restarts). */
  runs: Record<string, number>
  /** Seconds from the end of the traffic until no process had anything queued and the logs stopped growing. */
  settledAfterSeconds: number | undefined
  /** Broken invariants; empty when all held. */
  violations: string[]
  /** What every node saw, when the cluster did not settle. */
  diagnostics: string[]
}

/** One run (process lifetime) of a node. */
interface Run {
  readonly id: string
  readonly run: number
  readonly logFile: string
  worker: NodeWorker | undefined
  state: 'starting' | 'alive' | 'dead'
  killed: boolean
  /** When the driver started it, and (if it did) killed it. */
  startedAt: number
  killedAt: number | undefined
  /** Final counts (streamStop) of a run alive at the end. */
  finalSent: Record<string, number> | undefined
}

/**
 * Runs the chaos scenario (see the module comment) and returns what happened.
 * It never throws for a broken invariant: those are in `violations`.
 *
 * @example
 * const report = await runChaos({ seconds: 45, seed: 42 })
 * console.log(formatChaosReport(report))
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const perTick = options.perTick ?? 2
  const tickMs = options.tickMs ?? 20
  const ttlMs = options.ttlMs ?? 120_000
  const log = options.log ?? (() => {})
  const random = createRandom(options.seed).next
  const between = (min: number, max: number) => Math.round(min + random() * (max - min))
  const dir = mkdtempSync(join(tmpdir(), 'troupe-chaos-'))
  const proxies: Record<string, TcpProxy> = {}
  const runs = new Map<string, Run[]>(NODES.map((id) => [id, []]))
  const faults = { kills: 0, restarts: 0, cuts: 0, restores: 0 }
  const peakRss: Record<string, number> = {}
  const violations: string[] = []
  const lastIncarnation = new Map<string, number>()
  const current = (id: string) => runs.get(id)!.at(-1)

  try {
    // held while the proxies listen on port 0, so none of them is handed a hub's port
    const reserved = await reservePorts(HUBS.length)
    const hubPorts: Record<string, number> = Object.fromEntries(
      HUBS.map((hub, i) => [hub, reserved.ports[i]!]),
    )
    for (const hub of HUBS) {
      proxies[`P_${hub}`] = await createTcpProxy({ targetHost: '127.0.0.1', targetPort: hubPorts[hub]! })
    }
    for (const client of CLIENTS) {
      for (const [hub, suffix] of Object.entries(CLIENT_HUBS)) {
        proxies[`P_${client}${suffix}`] = await createTcpProxy({
          targetHost: '127.0.0.1',
          targetPort: hubPorts[hub]!,
        })
      }
    }
    await reserved.release()
    const hostOf = (proxy: TcpProxy) => `127.0.0.1:${proxy.port}`
    const clientHostsOf = (hub: string): Record<string, string> => {
      const suffix = (CLIENT_HUBS as Record<string, string>)[hub]
      if (suffix === undefined) return {}
      return Object.fromEntries(CLIENTS.map((c) => [c, hostOf(proxies[`P_${c}${suffix}`]!)]))
    }

    const optionsOf = (id: string): Record<string, unknown> => {
      const incarnation = Math.max((lastIncarnation.get(id) ?? 0) + 1, Date.now())
      lastIncarnation.set(id, incarnation)
      const common = { id, incarnation, holdTtlMs: ttlMs, reconnect: { initialMs: 50, maxMs: 1_000 } }
      if ((CLIENTS as readonly string[]).includes(id))
        return {
          ...common,
          seeds: Object.values(CLIENT_HUBS).map((suffix) => proxies[`P_${id}${suffix}`]!.url()),
        }
      return {
        ...common,
        hubSecret: HUB_SECRET,
        listen: { host: '127.0.0.1', port: hubPorts[id] },
        advertiseUrl: proxies[`P_${id}`]!.url(),
        seeds: id === 'h1' ? [proxies.P_h2!.url(), proxies.P_h3!.url()] : [],
      }
    }

    /** Starts a new run of `id`; with `stream`, its stream starts as soon as it is up. */
    const start = async (id: string, stream: boolean): Promise<Run> => {
      const list = runs.get(id)!
      const run: Run = {
        id,
        run: list.length,
        logFile: join(dir, `${id}.${list.length}.log`),
        worker: undefined,
        state: 'starting',
        killed: false,
        startedAt: Date.now(),
        killedAt: undefined,
        finalSent: undefined,
      }
      list.push(run)
      const worker = forkNodeWorker(id)
      run.worker = worker
      const isHub = (HUBS as readonly string[]).includes(id)
      await worker.start(optionsOf(id), {
        logFile: run.logFile,
        ...(isHub ? { clientHosts: clientHostsOf(id) } : {}),
      })
      if (stream) await startStream(run)
      run.state = 'alive'
      return run
    }
    const startStream = (run: Run) =>
      run.worker!.stream({
        targets: NODES.filter((n) => n !== run.id).map((n) => `log@${n}`),
        perTick,
        tickMs,
        ttlMs,
        run: run.run,
      })

    // ---- the cluster, formed before any traffic ----
    await Promise.all(['h2', 'h3'].map((id) => start(id, false)))
    await start('h1', false)
    await Promise.all(CLIENTS.map((id) => start(id, false)))
    // hubs know every member; a client knows the hubs (and later the nodes it sends to)
    for (const id of NODES) {
      const worker = current(id)!.worker!
      const isClient = (CLIENTS as readonly string[]).includes(id)
      for (const other of isClient ? HUBS : NODES) {
        if (other === id) continue
        await worker
          .waitFor((e) => e.event === 'member-up' && e.id === other, 20_000)
          .catch(() => Promise.reject(new Error(`chaos: ${id} never saw ${other} join`)))
      }
    }
    await Promise.all(NODES.map((id) => startStream(current(id)!)))
    const startedAt = Date.now()
    log(`chaos: seed ${options.seed}, cluster formed, traffic on; faults for ${options.seconds} s`)

    // ---- memory samples ----
    let sampling = true
    const sampleEveryMs = options.sampleEveryMs ?? 1_000
    const sampler = (async () => {
      while (sampling) {
        const sample: MemorySample = {
          atSeconds: Math.round((Date.now() - startedAt) / 1_000),
          rss: {},
          heapUsed: {},
        }
        await Promise.all(
          NODES.map(async (id) => {
            const run = current(id)
            if (run?.state !== 'alive' || run.worker === undefined) return
            try {
              const { memory } = await run.worker.request<{ memory: NodeJS.MemoryUsage }>(
                { cmd: 'memory', gc: options.gcBeforeSample === true },
                5_000,
              )
              sample.rss[id] = memory.rss
              sample.heapUsed[id] = memory.heapUsed
              peakRss[id] = Math.max(peakRss[id] ?? 0, memory.rss)
            } catch {
              // killed meanwhile
            }
          }),
        )
        options.onSample?.(sample)
        for (let waited = 0; sampling && waited < sampleEveryMs; waited += 250) await sleep(250)
      }
    })()

    // ---- faults ----
    const pending = new Set<Promise<void>>()
    const later = (ms: number, action: () => Promise<void>) => {
      const done: Promise<void> = sleep(ms)
        .then(action)
        .catch((error: unknown) => {
          violations.push(`fault action failed: ${String(error)}`)
        })
        .finally(() => pending.delete(done))
      pending.add(done)
    }
    const cut = new Set<string>()
    const faultsEnd = startedAt + options.seconds * 1_000
    while (Date.now() < faultsEnd) {
      await sleep(between(200, 1_200))
      const at = ((Date.now() - startedAt) / 1_000).toFixed(1)
      if (random() < 0.35) {
        const victim = KILLABLE[Math.floor(random() * KILLABLE.length)]!
        const downMs = between(200, 3_000)
        const run = current(victim)!
        if (run.state !== 'alive') continue
        run.state = 'dead'
        run.killed = true
        await run.worker!.kill()
        run.killedAt = Date.now()
        faults.kills++
        log(`  ${at} s: SIGKILL ${victim} (run ${run.run}); restart in ${downMs} ms`)
        later(downMs, async () => {
          await start(victim, true)
          faults.restarts++
        })
      } else {
        const names = Object.keys(proxies)
        const name = names[Math.floor(random() * names.length)]!
        const outageMs = between(200, 2_500)
        if (cut.has(name)) continue
        cut.add(name)
        proxies[name]!.cut()
        faults.cuts++
        log(`  ${at} s: cut ${name} for ${outageMs} ms`)
        later(outageMs, async () => {
          proxies[name]!.restore()
          cut.delete(name)
          faults.restores++
        })
      }
    }

    // ---- heal: the pending restores and restarts happen, then fault-free traffic for a while ----
    while (pending.size > 0) await Promise.all([...pending])
    log(`chaos: faults over (${JSON.stringify(faults)}); healing`)
    await sleep((options.healSeconds ?? 3) * 1_000)
    for (const id of NODES) {
      const run = current(id)!
      run.finalSent = await run.worker!.streamStop()
    }
    const stoppedAt = Date.now()

    // ---- settle: wait until no process has anything queued or held, and the logs stop growing ----
    let settledAfterSeconds: number | undefined
    let lastLines = -1
    const settleBy = Date.now() + 60_000
    while (Date.now() < settleBy) {
      const metrics = await Promise.all(
        NODES.map((id) => current(id)!.worker!.request<{ metrics: { queued: number } }>({ cmd: 'metrics' })),
      )
      const busy = metrics.some(({ metrics: m }) => m.queued > 0)
      const lines = NODES.flatMap((id) => runs.get(id)!).reduce(
        (n, run) => n + readLog(run.logFile).length,
        0,
      )
      if (!busy && lines === lastLines) {
        settledAfterSeconds = (Date.now() - stoppedAt) / 1_000
        break
      }
      lastLines = lines
      await sleep(500)
    }
    const diagnostics: string[] = []
    if (settledAfterSeconds === undefined) {
      violations.push('the cluster did not settle within 60 s of the end of the traffic')
      // what each node sees, to tell which link is stuck
      for (const id of NODES) {
        const worker = current(id)!.worker!
        const { members } = await worker.request<{ members: Array<Record<string, unknown>> }>({
          cmd: 'members',
        })
        const { metrics } = await worker.request<{
          metrics: {
            held: number
            peers: Record<string, Record<string, unknown>>
            streams: Record<string, Record<string, unknown>>
          }
        }>({ cmd: 'metrics' })
        diagnostics.push(
          `${id}: held ${metrics.held}; members ${members.map((m) => `${m.id}:${m.status}:${m.incarnation}${m.via ? `@${m.via}` : ''}`).join(' ')}`,
          ...Object.entries(metrics.peers).map(
            ([peer, p]) => `  ${id}->${peer}: connected ${p.connected} connects ${p.connects} rtt ${p.rttMs}`,
          ),
          ...Object.entries(metrics.streams).map(
            ([node, stream]) =>
              `  ${id}=>${node}: queued ${stream.queued} in flight ${stream.inFlight} unreachable ${stream.unreachable}`,
          ),
        )
      }
    }
    sampling = false
    await sampler

    const report = check({ runs, violations })
    return {
      ...report,
      seed: options.seed,
      seconds: options.seconds,
      faults,
      peakRss,
      runs: Object.fromEntries(NODES.map((id) => [id, runs.get(id)!.length])),
      settledAfterSeconds,
      violations,
      diagnostics,
    }
  } finally {
    await Promise.all([...runs.values()].flat().map((run) => run.worker?.kill()))
    await Promise.all(Object.values(proxies).map((proxy) => proxy.close()))
    rmSync(dir, { recursive: true, force: true })
  }
}

interface LogLine {
  from: string
  run: number
  seq: number
}

function readLog(file: string): LogLine[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return [] // a run killed before its log was opened
  }
  const lines: LogLine[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const [from, run, seq] = line.split(' ')
    lines.push({ from: from!, run: Number(run), seq: Number(seq) })
  }
  return lines
}

/** The invariants of the module comment, pair by pair. */
function check({ runs, violations }: { runs: Map<string, Run[]>; violations: string[] }) {
  // dead letters of streamed messages, reported by any run of any node (where they died, and at the sender)
  const dead = new Map<string, string>() // `${from} ${run} ${to} ${seq}` -> reason
  for (const run of [...runs.values()].flat()) {
    for (const e of run.worker?.events ?? []) {
      if (e.event !== 'deadletter') continue
      const message = e.message as Partial<LogLine> | undefined
      const to = String(e.to)
      if (!to.startsWith('log@') || typeof message?.seq !== 'number') continue
      const key = `${message.from} ${message.run} ${to.slice(4)} ${message.seq}`
      if (!dead.has(key)) dead.set(key, String(e.reason))
    }
  }
  const deadLettersByReason: Record<string, number> = {}
  for (const reason of dead.values()) deadLettersByReason[reason] = (deadLettersByReason[reason] ?? 0) + 1

  // every receiver run's log, by sender run: `${from} ${run}` -> the numbers in the order recorded
  const logs = new Map<Run, Map<string, number[]>>()
  for (const run of [...runs.values()].flat()) {
    const bySender = new Map<string, number[]>()
    for (const line of readLog(run.logFile)) {
      const key = `${line.from} ${line.run}`
      let list = bySender.get(key)
      if (list === undefined) {
        list = []
        bySender.set(key, list)
      }
      list.push(line.seq)
    }
    logs.set(run, bySender)
  }

  const pairs: PairReport[] = []
  for (const [from, senderRuns] of runs) {
    for (const sender of senderRuns) {
      // what the run sent: its final counts, or (killed) the last counts it reported
      const reported = sender.worker?.events.filter((e) => e.event === 'sent').at(-1)?.sent as
        | Record<string, number>
        | undefined
      for (const [to, receiverRuns] of runs) {
        if (to === from) continue
        const sent = (sender.finalSent ?? reported)?.[`log@${to}`] ?? 0
        const isDead = (seq: number) => dead.has(`${from} ${sender.run} ${to} ${seq}`)
        const perRun = receiverRuns.map((r) => logs.get(r)!.get(`${from} ${sender.run}`) ?? [])
        // a receiver run killed before this sender run started cannot have held any of its messages
        const couldHold = receiverRuns.map((r) => r.killed && (r.killedAt ?? 0) > sender.startedAt)
        // nor any sent after it died: a bound on the numbers sent by then, from the first report after it
        const reports = (sender.worker?.events ?? []).filter((e) => e.event === 'sent')
        const sentBy = receiverRuns.map((r) => {
          const after = reports.find((e) => (e.at as number) >= (r.killedAt ?? 0))
          return ((after?.sent as Record<string, number> | undefined)?.[`log@${to}`] ?? sent) as number
        })
        const where = `${from}#${sender.run} -> ${to}`
        // 1. within a receiver run: up by one each time, skipping only dead-lettered numbers
        perRun.forEach((list, k) => {
          for (let i = 1; i < list.length; i++) {
            const [a, b] = [list[i - 1]!, list[i]!]
            let ok = b > a
            for (let m = a + 1; ok && m < b; m++) ok = isDead(m)
            if (!ok) {
              violations.push(`${where}: receiver run ${k} recorded ${b} right after ${a}`)
              break
            }
          }
        })
        // 2. every number: recorded, dead-lettered, or lost in a crash
        const seen = new Map<number, number>() // seq -> how many receiver runs recorded it
        let maxSeen = -1
        for (const list of perRun) {
          for (const seq of new Set(list)) {
            seen.set(seq, (seen.get(seq) ?? 0) + 1)
            if (seq > maxSeen) maxSeen = seq
          }
        }
        // the highest number recorded by receiver runs up to k, the lowest by those after k
        const prefixMax: number[] = []
        const suffixMin: number[] = []
        let running = -1
        perRun.forEach((list, k) => {
          for (const seq of list) if (seq > running) running = seq
          prefixMax[k] = running
        })
        let lowest = Number.POSITIVE_INFINITY
        for (let k = perRun.length - 1; k >= 0; k--) {
          suffixMin[k] = lowest
          for (const seq of perRun[k]!) if (seq < lowest) lowest = seq
        }
        const senderKilled = sender.killed
        if (!senderKilled && maxSeen >= sent)
          violations.push(`${where}: recorded ${maxSeen}, but only ${sent} were sent`)
        let delivered = 0
        let redelivered = 0
        let deadLettered = 0
        let lostInReceiverCrash = 0
        let lostInSenderCrash = 0
        const unexplained: number[] = []
        for (let m = 0; m < Math.max(sent, maxSeen + 1); m++) {
          const times = seen.get(m) ?? 0
          if (times > 0) {
            delivered++
            redelivered += times - 1
          } else if (isDead(m)) deadLettered++
          else if (
            // between what the killed run k (and those before it) recorded and what a later run recorded:
            // a later run that recorded nothing of this sender run leaves no gap to excuse
            couldHold.some(
              (could, k) =>
                could &&
                prefixMax[k]! < m &&
                m < suffixMin[k]! &&
                m < sentBy[k]! &&
                Number.isFinite(suffixMin[k]!),
            )
          )
            lostInReceiverCrash++
          else if (senderKilled && m > maxSeen) lostInSenderCrash++
          else unexplained.push(m)
        }
        if (unexplained.length > 0) {
          violations.push(
            `${where}: ${unexplained.length} sent, never recorded, not dead-lettered, not lost in a crash (first: ${unexplained.slice(0, 5).join(', ')})`,
          )
        }
        // 3. neither end restarted while this sender run lived: exactly 0..sent-1, in order, once each,
        // all in the receiver's last run
        const clean = !senderKilled && !couldHold.some(Boolean)
        if (clean) {
          const list = perRun.at(-1)!
          const exact = list.length === sent && list.every((seq, i) => seq === i)
          if (!exact) {
            violations.push(
              `${where}: neither end restarted, yet its last run recorded ${list.length} of ${sent} (${deadLettered} dead-lettered), or out of order`,
            )
          }
        }
        pairs.push({
          from,
          run: sender.run,
          to,
          sent: Math.max(sent, maxSeen + 1),
          senderKilled,
          receiverRuns: receiverRuns.length,
          delivered,
          redelivered,
          deadLettered,
          lostInReceiverCrash,
          lostInSenderCrash,
          clean,
        })
      }
    }
  }
  const sum = (key: keyof PairReport) => pairs.reduce((n, p) => n + (p[key] as number), 0)
  return {
    pairs,
    cleanPairs: pairs.filter((p) => p.clean).length,
    deadLettersByReason,
    totals: {
      sent: sum('sent'),
      delivered: sum('delivered'),
      redelivered: sum('redelivered'),
      deadLettered: sum('deadLettered'),
      lostInReceiverCrash: sum('lostInReceiverCrash'),
      lostInSenderCrash: sum('lostInSenderCrash'),
    },
  }
}

const mb = (bytes: number | undefined) =>
  bytes === undefined ? '-' : `${(bytes / 1024 / 1024).toFixed(0)} MB`

/** The report as a few lines of text. */
export function formatChaosReport(report: ChaosReport): string {
  const { totals, faults } = report
  const restartedPairs = report.pairs.filter((p) => !p.clean)
  return [
    `chaos: seed ${report.seed} (replay: SEED=${report.seed}), ${report.seconds} s of faults`,
    `  faults: ${faults.kills} kills (SIGKILL), ${faults.restarts} restarts, ${faults.cuts} proxy cuts, ${faults.restores} restores; runs per node ${JSON.stringify(report.runs)}`,
    `  messages: ${totals.sent} sent, ${totals.delivered} delivered, ${totals.redelivered} redelivered after a receiver restart, ${totals.deadLettered} dead-lettered ${JSON.stringify(report.deadLettersByReason)}`,
    `  lost in a crash: ${totals.lostInReceiverCrash} in a killed receiver's mailbox, ${totals.lostInSenderCrash} in a killed sender's queue`,
    `  pairs (sender run -> receiver): ${report.pairs.length}; ${report.cleanPairs} with neither end restarted (exactly once, in order), ${restartedPairs.length} with a restart`,
    `  settled (nothing queued anywhere) ${report.settledAfterSeconds?.toFixed(1) ?? 'never'} s after the traffic stopped`,
    `  peak RSS: ${Object.entries(report.peakRss)
      .map(([id, rss]) => `${id} ${mb(rss)}`)
      .join(', ')}`,
    report.violations.length === 0
      ? '  invariants: all held'
      : `  VIOLATIONS (${report.violations.length}):\n    ${report.violations.slice(0, 30).join('\n    ')}`,
    ...report.diagnostics.map((line) => `  ${line}`),
  ].join('\n')
}
