import { fileURLToPath } from 'node:url'
import { runInNewContext } from 'node:vm'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const src = fileURLToPath(new URL('../src/', import.meta.url))

describe('core in a browser', () => {
  it('bundles for the browser platform and runs where no Node.js global exists', async () => {
    // esbuild fails on any `node:*` or Node built-in import when the platform is the browser
    const result = await build({
      stdin: {
        contents: `export * from './index.ts'; export { FrameCodec, encodeValue, decodeValue } from './internal.ts'`,
        resolveDir: src,
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'Troupe',
      write: false,
      logLevel: 'silent',
    })
    expect(result.errors).toEqual([])
    const code = result.outputFiles[0]!.text

    // only what a browser page has: no process, Buffer, require, setImmediate or global
    const browserGlobals = {
      console,
      setTimeout,
      clearTimeout,
      queueMicrotask,
      performance,
      crypto,
      TextEncoder,
      TextDecoder,
      MessageChannel,
    }
    const outcome = runInNewContext(
      `${code}
      (async () => {
        const node = await Troupe.createNode({ id: 'tab' })
        node.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg.toUpperCase()) })
        const reply = await node.ask('echo@tab', 'hi')
        const codec = new Troupe.FrameCodec()
        const [bye] = codec.decode(codec.encode([{ type: 'bye', reason: 'done' }]))
        const value = Troupe.decodeValue(Troupe.encodeValue({ big: 2n ** 70n, map: new Map([[1, new Set(['a'])]]) }))
        const generated = (await Troupe.createNode()).id
        await node.close()
        return { reply, bye, value, generated, hasProcess: typeof process, hasBuffer: typeof Buffer }
      })()`,
      browserGlobals,
    )
    const { reply, bye, value, generated, hasProcess, hasBuffer } = await outcome
    expect({
      reply,
      bye,
      big: value.big,
      map: [...value.map].map(([k, v]) => [k, [...v]]),
      hasProcess,
      hasBuffer,
    }).toEqual({
      reply: 'HI',
      bye: { type: 'bye', reason: 'done' },
      big: 2n ** 70n,
      map: [[1, ['a']]],
      hasProcess: 'undefined',
      hasBuffer: 'undefined',
    })
    expect(generated).toMatch(/^[A-Za-z0-9_-]{21}$/)
  })
})
