/**
 * The docs say what the code does: the tables of defaults, error codes,
 * dead-letter reasons and close codes in docs/ are checked against the tables
 * in the code, so they cannot drift apart unnoticed.
 */
import { readFileSync } from 'node:fs'
import { CLOSE_CODES, DEAD_LETTER_REASONS, TROUPE_ERROR_CODES } from '@troupe/core'
import { DEFAULTS } from '@troupe/core/internal'
import { describe, expect, it } from 'vitest'

const doc = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), 'utf8')

/** The rows of the first table after `## heading`, as arrays of cell texts. */
function table(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n## ${heading}\n`)
  if (start === -1) throw new Error(`no section "${heading}"`)
  const rows: string[][] = []
  let inTable = false
  for (const line of markdown.slice(start + heading.length + 5).split('\n')) {
    if (line.startsWith('## ')) break
    if (!line.startsWith('|')) {
      if (inTable) break
      continue
    }
    inTable = true
    const cells = line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim())
    if (cells[0] !== '---' && rows.length >= 0) rows.push(cells)
  }
  return rows.slice(1) // without the header row
}

const unquote = (cell: string) => cell.replace(/^`|`$/g, '')

/** DEFAULTS as `path` → value, nested objects flattened with dots. */
function flatten(value: object, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner === 'object' && inner !== null) Object.assign(out, flatten(inner, `${prefix}${key}.`))
    else out[`${prefix}${key}`] = inner
  }
  return out
}

describe('docs/api.md', () => {
  const api = doc('api.md')

  it('lists every default with its value, and nothing else', () => {
    const rows = table(api, 'Defaults').filter((row) => row[0] !== '---')
    const documented = Object.fromEntries(rows.map(([name, value]) => [unquote(name!), unquote(value!)]))
    const actual = Object.fromEntries(
      Object.entries(flatten(DEFAULTS)).map(([name, value]) => [
        name,
        typeof value === 'number' ? value.toLocaleString('en').replaceAll(',', '_') : String(value),
      ]),
    )
    expect(documented).toEqual(actual)
  })

  it('lists every error code, and nothing else', () => {
    const rows = table(api, 'Errors').filter((row) => row[0] !== '---')
    expect(rows.map((row) => unquote(row[0]!))).toEqual([...TROUPE_ERROR_CODES])
  })

  it('lists every dead-letter reason, and nothing else', () => {
    const rows = table(api, 'Dead letters').filter((row) => row[0] !== '---')
    expect(rows.map((row) => unquote(row[0]!))).toEqual([...DEAD_LETTER_REASONS])
  })
})

describe('docs/security.md', () => {
  it('explains every close code a hub sends', () => {
    const security = doc('security.md')
    for (const code of Object.values(CLOSE_CODES).filter((code) => code >= 4000)) {
      expect(security, `close code ${code}`).toContain(`${code}`)
    }
  })
})
