// A process sharing one SQLite storage file with others, steered by its parent over IPC.
// Used by the SQLite tests: real processes racing on one file. It runs the built package
// (npm test builds first).
import { sqliteStorage } from '@troupe/node'

let storage
const encoder = new TextEncoder()
const decoder = new TextDecoder()

process.on('message', async (command) => {
  try {
    process.send({ ...(await handle(command)) })
  } catch (error) {
    process.send({ error: String(error?.stack ?? error) })
  }
})
process.send({ ready: true })

/** Waits for the moment the parent set, so that the processes start racing together (spinning the last ms). */
async function startAt(at) {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now() - 5)))
  while (Date.now() < at) {}
}
const turn = () => new Promise((resolve) => setImmediate(resolve))
// after its turn a process pauses, so the lock's backoff does not let one process run all its turns alone
const pause = () => new Promise((resolve) => setTimeout(resolve, 1))

async function handle(command) {
  await startAt(command.startAt ?? 0)
  switch (command.cmd) {
    case 'open':
      storage = sqliteStorage(command.file)
      return {}
    case 'increment': {
      // read, add one, write on the revision read; a refused write means the other process won: read again
      let conflicts = 0
      for (let i = 0; i < command.times; i++) {
        for (;;) {
          const stored = await storage.read(command.key)
          const next = (stored ? Number(decoder.decode(stored.value)) : 0) + 1
          await turn() // as real code would between reading and writing
          if (
            (await storage.write(command.key, encoder.encode(String(next)), stored?.revision ?? 0)) !==
            undefined
          )
            break
          conflicts++
        }
        await pause()
      }
      return { conflicts }
    }
    case 'acquire': {
      const won = []
      for (const key of command.keys) {
        if (await storage.acquire(key, command.owner, 60_000)) won.push(key)
        await pause()
      }
      return { won }
    }
    case 'close':
      await storage.close()
      setImmediate(() => process.exit(0))
      return {}
    default:
      throw new Error(`unknown command ${command.cmd}`)
  }
}
