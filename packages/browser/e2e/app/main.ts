// The e2e test page: one Troupe browser node, steered by the specs through `window.tab`.
import { createNode, isTroupeError } from '@troupe/browser'
import type { ConnectionState, DeadLetterInfo, MemberEventInfo, TabApi } from '../support/tabApi.js'

type BrowserNode = Awaited<ReturnType<typeof createNode>>

let node: BrowserNode | undefined
const recorders = new Map<string, unknown[]>()
const deadLetters: DeadLetterInfo[] = []
const states: ConnectionState[] = []
const memberEvents: MemberEventInfo[] = []
const status = document.getElementById('status')

const started = (): BrowserNode => {
  if (node === undefined) throw new Error('window.tab.start() has not been called')
  return node
}

const tab: TabApi = {
  async start(seeds, id) {
    if (node !== undefined) throw new Error('window.tab.start() called twice')
    const created = await createNode({ seeds, ...(id === undefined ? {} : { id }) })
    node = created
    created.on('connection', (state: ConnectionState) => {
      states.push(state)
      if (status !== null) status.textContent = state
    })
    created.on('deadletter', (d) => {
      deadLetters.push({ to: d.to, from: d.from, reason: d.reason, message: d.message })
    })
    for (const event of ['member-up', 'member-down', 'member-left'] as const) {
      created.on(event, (m) => memberEvents.push({ event, id: m.id, incarnation: m.incarnation }))
    }
    return created.id
  },
  spawnRecorder(name) {
    const list: unknown[] = []
    recorders.set(name, list)
    started().spawn(name, { receive: (msg) => void list.push(msg) })
  },
  spawnEcho(name) {
    started().spawn(name, { receive: (msg, ctx) => ctx.reply(msg) })
  },
  received: (name) => recorders.get(name) ?? [],
  send: (to, message, options) => started().send(to, message, options),
  sendNumbered(to, first, count, options) {
    const n = started()
    let accepted = 0
    for (let seq = first; seq < first + count; seq++) if (n.send(to, { from: n.id, seq }, options)) accepted++
    return accepted
  },
  async ask(to, message, options) {
    try {
      return { ok: true, value: await started().ask(to, message, options) }
    } catch (error) {
      return isTroupeError(error)
        ? { ok: false, code: error.code, reason: error.reason, message: error.message }
        : { ok: false, code: undefined, reason: undefined, message: String(error) }
    }
  },
  deadLetters: () => deadLetters,
  states: () => states,
  connectionState: () => started().connectionState,
  memberEvents: () => memberEvents,
  members: () =>
    started()
      .members()
      .map((m) => ({ ...m })),
  metrics: () => started().metrics(),
  close: () => started().close(),
}

window.tab = tab
if (status !== null) status.textContent = 'ready'
