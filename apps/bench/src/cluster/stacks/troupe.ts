/**
 * Troupe: one real node per worker (`w0`, `w1`, ...) with 100 real actors;
 * w0 is the seed every later node joins through.
 */
import { createNode } from '@troupe/node'
import type { StartStack } from './stack.js'

const nodeId = (index: number) => `w${index}`

/** Starts a Troupe node listening on a free port, seeded with the first worker's URL. */
export const start: StartStack = async ({ index, workers, peers, actors }) => {
  const seed = peers[0]
  const node = await createNode({
    id: nodeId(index),
    listen: { host: '127.0.0.1', port: 0 },
    seeds: seed === undefined ? [] : [seed.url],
  })
  const url = node.url
  if (url === undefined) throw new Error(`troupe: node ${node.id} is not listening`)
  for (const [actor, handler] of actors) node.spawn(`a${actor}`, { receive: handler })

  const others = Array.from({ length: workers }, (_, i) => nodeId(i)).filter((id) => id !== node.id)
  const allUp = () =>
    others.every((id) => node.members().some((member) => member.id === id && member.status === 'up'))
  const ready = new Promise<void>((resolve) => {
    const check = () => {
      if (allUp()) resolve()
    }
    node.on('member-up', check)
    check()
  })

  return {
    url,
    ready,
    send: (worker, message) => node.send(`a${message.to}@${nodeId(worker)}`, message),
    drain: (worker) => node.drain(nodeId(worker)),
    deadLetters: () => Object.values(node.metrics().deadLetters).reduce((sum, n) => sum + n, 0),
    close: () => node.close(),
  }
}
