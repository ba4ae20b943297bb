// Set up for every vitest test file (root vitest.config.ts `setupFiles`): a failing test in a file
// that uses the shared seed prints the command that replays it with the same seed.
import { beforeEach } from 'vitest'
import { seedUsed } from './seedUse.js'

beforeEach(({ onTestFailed, task }) => {
  onTestFailed(async () => {
    if (!seedUsed()) return
    // imported only now: importing it marks the seed as used
    const { replayCommand, SEED } = await import('./seed.js')
    console.log(
      `\n"${task.name}" failed with seed ${SEED}; replay: ${replayCommand(task.file.filepath, task.name)}\n`,
    )
  })
})
