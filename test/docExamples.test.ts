/**
 * Every TypeScript example in the README files and docs compiles under
 * `strict` against the packages' source: the code a reader copies works. An
 * example that is not meant to compile as it stands is written as `text` or
 * `js`, not `ts`.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const OUT = join(REPO, '.cache', 'doc-examples')

const markdownFiles = (): string[] => [
  'README.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  ...readdirSync(join(REPO, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((path) => {
      try {
        readFileSync(join(REPO, path))
        return true
      } catch {
        return false
      }
    }),
]

/** The ```ts blocks of a markdown file, with the line each starts on. */
function examples(path: string): Array<{ line: number; code: string }> {
  const found: Array<{ line: number; code: string }> = []
  const lines = readFileSync(join(REPO, path), 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end]!.trim() !== '```') end++
    found.push({ line: start + 1, code: lines.slice(start, end).join('\n') })
    i = end
  }
  return found
}

describe('the examples in the docs', () => {
  it('compile under strict TypeScript', () => {
    rmSync(OUT, { recursive: true, force: true })
    mkdirSync(OUT, { recursive: true })
    const written: string[] = []
    for (const path of markdownFiles()) {
      for (const { line, code } of examples(path)) {
        const name = `${path.replaceAll('/', '_').replace(/\.md$/, '')}_${line}.ts`
        // each example is a module of its own (top-level await, no clashes between examples)
        writeFileSync(join(OUT, name), `// ${path}:${line}\n${code}\nexport {}\n`)
        written.push(name)
      }
    }
    const src = (pkg: string) => [relative(OUT, join(REPO, `packages/${pkg}/src/index.ts`))]
    writeFileSync(
      join(OUT, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'esnext',
          moduleResolution: 'bundler',
          lib: ['es2022', 'dom', 'esnext.disposable'],
          types: ['node'],
          typeRoots: [relative(OUT, join(REPO, 'node_modules/@types'))],
          skipLibCheck: true,
          paths: {
            '@troupe/core': src('core'),
            '@troupe/node': src('node'),
            '@troupe/browser': src('browser'),
            '@troupe/inspector': src('inspector'),
          },
        },
        include: ['*.ts'],
      }),
    )
    let output = ''
    try {
      execFileSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', OUT], { encoding: 'utf8', stdio: 'pipe' })
    } catch (error) {
      output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`
    }
    expect(written.length).toBeGreaterThan(10)
    expect(output, 'every example compiles (file names say where: README_12.ts is README.md line 12)').toBe(
      '',
    )
  }, 60_000)
})
