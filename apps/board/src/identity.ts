/** Who this tab is to the others: a friendly name and a colour, kept for the tab's session. */

export interface Colour {
  /** The palette key notes carry. */
  readonly key: string
  /** Cursors, avatars, accents. */
  readonly ink: string
  /** A note's paper. */
  readonly paper: string
}

/** The colours a tab may get, each with its ink and its paper. */
export const PALETTE: readonly Colour[] = [
  { key: 'coral', ink: '#e5484d', paper: '#ffe3de' },
  { key: 'amber', ink: '#d97706', paper: '#fff0c2' },
  { key: 'lime', ink: '#3e9b4f', paper: '#ddf3d6' },
  { key: 'teal', ink: '#0d9488', paper: '#d3f2ec' },
  { key: 'sky', ink: '#0b84e0', paper: '#dbecff' },
  { key: 'violet', ink: '#7c4dcc', paper: '#ebe1fb' },
  { key: 'pink', ink: '#d23c91', paper: '#fde0ef' },
]

const FALLBACK = PALETTE[4] as Colour

/** The colour of palette key `key` (an unknown key gets the default blue). */
export const colourOf = (key: string): Colour => PALETTE.find((c) => c.key === key) ?? FALLBACK

const ADJECTIVES = [
  'Brave',
  'Calm',
  'Clever',
  'Cosy',
  'Daring',
  'Eager',
  'Gentle',
  'Happy',
  'Jolly',
  'Keen',
  'Lucky',
  'Merry',
  'Nimble',
  'Plucky',
  'Quick',
  'Sunny',
  'Swift',
  'Witty',
  'Bright',
  'Kind',
]
const ANIMALS = [
  'Otter',
  'Fox',
  'Panda',
  'Koala',
  'Heron',
  'Lynx',
  'Robin',
  'Badger',
  'Puffin',
  'Gecko',
  'Marten',
  'Owl',
  'Seal',
  'Wren',
  'Yak',
  'Bison',
  'Crane',
  'Hare',
  'Ibis',
  'Llama',
]

/** A tab's name and colour (a palette key), as the others see them. */
export interface Identity {
  readonly name: string
  readonly color: string
}

const STORAGE_KEY = 'troupe-board-identity'

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T

/**
 * This tab's identity: from sessionStorage if it has one (a reload keeps it), else a new random one.
 * The node id is new on every load: a duplicated tab copies sessionStorage, and two live nodes must
 * not share an id.
 */
export function loadIdentity(storage: Storage | undefined = globalThis.sessionStorage): Identity {
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null') as Partial<Identity> | null
    if (typeof saved?.name === 'string' && typeof saved.color === 'string' && saved.name.length <= 40) {
      return { name: saved.name, color: colourOf(saved.color).key }
    }
  } catch {
    // unreadable: make a new one
  }
  const identity = { name: `${pick(ADJECTIVES)} ${pick(ANIMALS)}`, color: pick(PALETTE).key }
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(identity))
  } catch {
    // storage full or disabled: the identity lasts as long as the page
  }
  return identity
}

/** Up to two capital letters of a name: "Brave Otter" → "BO". */
export const initials = (name: string): string =>
  name
    .split(/\s+/)
    .map((word) => word[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase()
