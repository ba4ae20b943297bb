// A hub for the inspector's e2e tests: the built @troupe/node with metrics on, and the inspector actor.
// Env: PORT (default 0). Prints "ready <url>" once it listens; SIGTERM closes it.

import { serveInspector } from '@troupe/inspector/serve'
import { createNode } from '@troupe/node'

const hub = await createNode({
  id: 'hub',
  listen: { host: '127.0.0.1', port: Number(process.env.PORT ?? 0) },
  metrics: true,
})
serveInspector(hub)
hub.spawn('echo', { receive: (message, ctx) => ctx.reply(message) })
console.log(`ready ${hub.url}`)
process.once('SIGTERM', () => void hub.close().then(() => process.exit(0)))
