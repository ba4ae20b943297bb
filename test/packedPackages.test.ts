/**
 * The published packages as a new user gets them: built, packed with
 * `npm pack`, installed from the tarballs into a fresh project, then
 *
 * - type-checked with TypeScript 5.9 (the JS compiler; the repository's own
 *   `tsc` is TypeScript 7) with `skipLibCheck: false`, under `module: nodenext`
 *   and under `moduleResolution: bundler`, on a consumer importing every entry;
 * - run in Node (every entry loads, a node starts and answers);
 * - checked by publint (`--strict`) and by Are the Types Wrong (`esm-only`
 *   profile: the packages are ESM only, so CommonJS resolution is out of scope);
 * - checked for LICENSE, README, source maps that carry their sources, and
 *   dependencies that are exactly what the code imports.
 *
 * The install is `--prefer-offline`: after `npm ci` every dependency is in
 * npm's cache, and anything missing comes from the registry.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const PACKAGES = ['core', 'node', 'browser', 'inspector'] as const
type PackageDir = (typeof PACKAGES)[number]
/** TypeScript 5.9, the last with a JS compiler API, installed beside the repository's TypeScript 7. */
const ts = createRequire(join(REPO, 'packages/test-support/package.json'))(
  'typescript',
) as typeof import('typescript')

const sh = (command: string, args: string[], cwd = REPO): string =>
  execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
  })

interface Packed {
  name: string
  dir: PackageDir
  tarball: string
  files: string[]
}

let work: string
let consumer: string
const packed = new Map<PackageDir, Packed>()

const CONSUMER_SOURCE = `
import { createNode as createTab, createBrowserTransport, type BrowserNodeOptions } from '@troupe/browser'
import { type ActorRef, type Behavior, createNode, type Node, TroupeError, isTroupeError } from '@troupe/core'
import { closeReason, DEFAULTS, Inbox, nodeControls, yieldToHost } from '@troupe/core/internal'
import { createMemoryNetwork, createRandom, createTestClock } from '@troupe/core/testing'
import { defineInspector, type NodeView, type TroupeInspector } from '@troupe/inspector'
import { INSPECTOR_ACTOR, serveInspector } from '@troupe/inspector/serve'
import { createNode as createServerNode, createWsTransport, type NodeOptions, registerTroupeMetrics } from '@troupe/node'

type Greeting = { name: string }
const greeter: Behavior<Greeting, string> = { receive: (msg, ctx) => ctx.reply(\`hello \${msg.name}\`) }

export async function main(): Promise<string> {
  const clock = createTestClock()
  const net = createMemoryNetwork({ clock, seed: createRandom(1).int(100) })
  const local: Node = await createNode({ id: 'a', transport: net.transport('a') })
  const ref: ActorRef<Greeting, string> = local.spawn('greeter', greeter)
  const options: NodeOptions = { id: 'hub', listen: { host: '127.0.0.1', port: 0 } }
  const hub = await createServerNode(options)
  const tabOptions: BrowserNodeOptions = { seeds: [hub.url ?? ''] }
  const reply = await ref.ask({ name: 'packed' }, { timeoutMs: 1_000 })
  serveInspector(local)
  const view = (await local.ask(\`\${INSPECTOR_ACTOR}@a\`, { type: 'inspect' }, { timeoutMs: 1_000 })) as NodeView
  const element: TroupeInspector | undefined = document.querySelector('troupe-inspector') ?? undefined
  void view.members.rows
  void element?.refresh
  void defineInspector
  void registerTroupeMetrics
  void createWsTransport
  void createBrowserTransport
  void createTab
  void tabOptions
  void nodeControls
  void yieldToHost
  const inbox = new Inbox()
  inbox.onMessage = (bytes: Uint8Array) => void bytes
  const error: unknown = new TroupeError('BAD_ARGUMENT', closeReason('x'.repeat(DEFAULTS.maxFrameBytes > 0 ? 200 : 1)))
  if (!isTroupeError(error)) throw new Error('not a TroupeError')
  await hub.close()
  await local.close()
  return reply
}
`

beforeAll(() => {
  sh('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'])
  work = mkdtempSync(join(tmpdir(), 'troupe-packed-'))
  const report = JSON.parse(
    sh('npm', ['pack', '--json', '--pack-destination', work, ...PACKAGES.map((dir) => `-w=packages/${dir}`)]),
  ) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>
  for (const [i, dir] of PACKAGES.entries()) {
    const entry = report[i]!
    packed.set(dir, {
      name: entry.name,
      dir,
      tarball: join(work, entry.filename),
      files: entry.files.map((file) => file.path),
    })
  }
  consumer = join(work, 'consumer')
  mkdirSync(join(consumer, 'src'), { recursive: true })
  const typesNode = JSON.parse(
    readFileSync(join(REPO, 'node_modules/@types/node/package.json'), 'utf8'),
  ).version
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: Object.fromEntries([...packed.values()].map((p) => [p.name, `file:${p.tarball}`])),
      devDependencies: { '@types/node': typesNode },
    }),
  )
  sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], consumer)
  writeFileSync(join(consumer, 'src/consumer.ts'), CONSUMER_SOURCE)
  // every example in the shipped READMEs is type-checked with the consumer
  for (const { dir, name } of packed.values()) {
    readmeExamples(name).forEach((code, i) => {
      writeFileSync(join(consumer, `src/readme-${dir}-${i}.ts`), code)
    })
  }
}, 120_000)

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

/** The ```ts blocks of the README that `name` ships. */
function readmeExamples(name: string): string[] {
  const readme = readFileSync(join(consumer, 'node_modules', name, 'README.md'), 'utf8')
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)
}

/** TypeScript 5.9's diagnostics for the consumer, with the packages' own .d.ts checked (skipLibCheck off). */
function typeErrors(options: import('typescript').CompilerOptions): string[] {
  const sources = readdirSync(join(consumer, 'src')).map((file) => join(consumer, 'src', file))
  const compilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    ...options,
  }
  const program = ts.createProgram(sources, compilerOptions)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    if (d.file === undefined || d.start === undefined) return text
    const { line } = d.file.getLineAndCharacterOfPosition(d.start)
    return `${d.file.fileName.replace(`${consumer}/`, '')}:${line + 1}: ${text}`
  })
}

describe('the packed packages, installed from their tarballs', () => {
  it('type-check with TypeScript 5.9 under module nodenext, skipLibCheck off', () => {
    expect(ts.version).toBe('5.9.3')
    expect(
      typeErrors({ module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }),
    ).toEqual([])
  })

  it('type-check with TypeScript 5.9 under moduleResolution bundler, skipLibCheck off', () => {
    expect(
      typeErrors({ module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }),
    ).toEqual([])
  })

  it('load in Node: every entry imports, and a node answers an ask', () => {
    const script = `
      const entries = ['@troupe/core', '@troupe/core/testing', '@troupe/core/internal', '@troupe/node', '@troupe/browser',
        '@troupe/inspector', '@troupe/inspector/serve']
      for (const entry of entries) await import(entry)
      const { createNode } = await import('@troupe/node')
      const { serveInspector } = await import('@troupe/inspector/serve')
      const node = await createNode({ id: 'packed', listen: { host: '127.0.0.1', port: 0 }, metrics: true })
      node.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
      serveInspector(node)
      console.log(await node.ask('echo@packed', 'pong', { timeoutMs: 1000 }))
      console.log((await node.ask('troupe.inspector@packed', { type: 'inspect' }, { timeoutMs: 1000 })).id)
      const metrics = await (await fetch(node.url.replace('ws', 'http') + '/metrics')).text()
      console.log(String(metrics.includes('# TYPE troupe_messages_sent_total counter')))
      await node.close()`
    expect(sh('node', ['--input-type=module', '-e', script], consumer).trim().split('\n')).toEqual([
      'pong',
      'packed',
      'true',
    ])
  })

  it.each(['core', 'node'] as const)('@troupe/%s: the README example runs and prints what it says', (dir) => {
    const [example] = readmeExamples(packed.get(dir)!.name)
    const js = ts.transpileModule(example!, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText
    const promised = /console\.log\(.*\/\/ '([^']*)'/.exec(example!)?.[1]
    expect(promised, 'the example says what it prints').toBeDefined()
    expect(sh('node', ['--input-type=module', '-e', js], consumer).trim()).toBe(promised)
  })

  it.each(PACKAGES)('@troupe/%s: publint --strict finds nothing, suggestions included', async (dir) => {
    const data = readFileSync(packed.get(dir)!.tarball)
    const tarball = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
    const { messages, pkg } = await publint({ pack: { tarball }, strict: true, level: 'suggestion' })
    expect(messages.map((message) => `${message.type}: ${formatMessage(message, pkg)}`)).toEqual([])
  })

  it.each(PACKAGES)('@troupe/%s: Are the Types Wrong finds nothing (esm-only profile)', (dir) => {
    // ESM only, as the READMEs say: the esm-only profile leaves out node10 and require() from CommonJS,
    // which resolve to nothing or to ESM by design; every ESM resolution (node16, bundler) is checked
    let output: string
    try {
      output = sh('npx', ['attw', packed.get(dir)!.tarball, '--profile', 'esm-only', '--format', 'ascii'])
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error)
      expect.fail(`attw found problems:\n${output}`)
    }
    expect(output).toContain('node16 (from ESM): 🟢')
    expect(output).toContain('bundler: 🟢')
  })

  it.each(PACKAGES)('@troupe/%s carries LICENSE, README.md and source maps with their sources', (dir) => {
    const { files, name } = packed.get(dir)!
    expect(files).toContain('LICENSE')
    expect(files).toContain('README.md')
    expect(files.filter((file) => file.startsWith('src/'))).toEqual([])
    const installed = join(consumer, 'node_modules', name)
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 The Troupe authors/,
    )
    const maps = files.filter((file) => file.endsWith('.js.map'))
    expect(maps.length).toBeGreaterThan(0)
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(installed, map), 'utf8'))
      expect(sourcesContent?.length, `${name}/${map} carries its sources`).toBe(sources.length)
      expect(sourcesContent.every((text: unknown) => typeof text === 'string' && text.length > 0)).toBe(true)
    }
  })

  it.each(PACKAGES)('@troupe/%s depends on exactly the packages its code imports', (dir) => {
    const { name } = packed.get(dir)!
    const installed = join(consumer, 'node_modules', name)
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'))
    const imported = new Set<string>()
    const walk = (path: string): void => {
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        const full = join(path, entry.name)
        if (entry.isDirectory()) walk(full)
        else if (/\.(js|d\.ts)$/.test(entry.name)) {
          const code = readFileSync(full, 'utf8')
          const specifiers = [
            ...code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
            ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
            ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
          ].map((match) => match[1])
          for (const specifier of specifiers) {
            if (specifier === undefined || specifier.startsWith('.') || specifier.startsWith('node:'))
              continue
            const parts = specifier.split('/')
            imported.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!)
          }
        }
      }
    }
    walk(join(installed, 'dist'))
    imported.delete(name)
    // an optional peer (`@opentelemetry/api` for `@troupe/core/otel`) is imported only by the entry that needs it
    const declared = { ...manifest.dependencies, ...manifest.peerDependencies }
    expect(Object.keys(declared).sort()).toEqual([...imported].sort())
  })
})
