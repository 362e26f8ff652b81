import { describe, expect, it } from 'vitest'
import { prng } from '../model/test-support'
import { decodeUtf8InSlices, parseJsonInSlices } from './json-in-slices'

// Strings that a cut between elements could be fooled by: brackets, commas, quotes, escapes, non-ASCII.
const PIECES = ['],[', '[', ']', '{', '}', ',', '"', '\\', '\\"', 'é', 'Ł', '😀', ' ', 'a', 'Zoé', '\n', '\u2028']

function randomString(random: () => number): string {
  let out = ''
  const n = Math.floor(random() * 6)
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(random() * PIECES.length)]
  return out
}

function randomCell(random: () => number, depth: number): unknown {
  const r = random()
  if (r < 0.4) return randomString(random)
  if (r < 0.6) return Math.floor(random() * 1e6) / (random() < 0.5 ? 1 : 100)
  if (r < 0.7) return null
  if (r < 0.75) return random() < 0.5
  if (depth > 2) return randomString(random)
  if (r < 0.88) return Array.from({ length: Math.floor(random() * 4) }, () => randomCell(random, depth + 1))
  return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) }, () => [randomString(random), randomCell(random, depth + 1)]))
}

function randomDigest(random: () => number): Record<string, unknown> {
  return {
    format: 2,
    'clé "étrange" ],[': randomString(random),
    actors: Array.from({ length: 3 }, () => ({ memberId: randomString(random), deviceId: 'd' })),
    small: [1, 2, 3],
    patients: Array.from({ length: 300 + Math.floor(random() * 300) }, () =>
      Array.from({ length: Math.floor(random() * 8) }, () => randomCell(random, 1)),
    ),
    empty: [],
    tail: { nested: [[1], [2]] },
  }
}

describe('parseJsonInSlices', () => {
  it('gives what JSON.parse gives, in several slices (seeded: the seed is in the failure)', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = prng(seed)
      const value = randomDigest(random)
      const text = JSON.stringify(value, null, seed % 3 === 0 ? 1 : undefined)
      let slices = 0
      const parsed = await parseJsonInSlices(text, { nextSlice: async () => void slices++, charsPerSlice: 997 })
      expect(parsed, `seed ${seed}`).toEqual(JSON.parse(text))
      expect(slices, `seed ${seed}`).toBeGreaterThan(text.length / 997 / 2)
    }
  })

  it('keeps the order of keys and a "__proto__" key as an own property, like JSON.parse', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => [i, `p${i}`])
    const text = `{"z":1,"__proto__":${JSON.stringify(rows)},"a":2}`
    const parsed = (await parseJsonInSlices(text, { nextSlice: async () => {}, charsPerSlice: 100 })) as Record<string, unknown>
    expect(Object.keys(parsed)).toEqual(['z', '__proto__', 'a'])
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
    expect(parsed).toEqual(JSON.parse(text))
  })

  it('lets JSON.parse decide a repeated key (the last value wins, array or not)', async () => {
    const rows = JSON.stringify(Array.from({ length: 200 }, (_, i) => [i]))
    for (const text of [`{"p":${rows},"p":5}`, `{"p":5,"p":${rows}}`, `{"p":${rows},"p":[1]}`]) {
      expect(await parseJsonInSlices(text, { nextSlice: async () => {}, charsPerSlice: 100 })).toEqual(JSON.parse(text))
    }
  })

  it('throws a SyntaxError on malformed JSON wherever the fault lies', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => `[${i},"x"]`)
    const good = `{"a":1,"p":[${rows.join(',')}]}`
    const bad = [
      good.replace('[50,"x"],', '[50,"x"],,'), // an empty element
      good.replace('[50,"x"]', '[50,"x"}'), // brackets that do not pair
      good.replace('[99,"x"]]', '[99,"x"],]'), // a trailing comma
      good.replace('[3,"x"],[4', '[3,"x"] [4'), // a missing comma
      good.replace('"a":1', '"a":01'), // a fault outside the arrays
      `${good} x`, // text after the value
      good.slice(0, -1), // cut short
      good.replace('"x"]', '"x]'), // an unterminated string
    ]
    for (const text of bad) {
      expect(() => JSON.parse(text)).toThrow(SyntaxError)
      await expect(parseJsonInSlices(text, { nextSlice: async () => {}, charsPerSlice: 64 }), text.slice(0, 40)).rejects.toThrow(SyntaxError)
    }
  })

  it('parses what is not an object at the top, or small, in one piece', async () => {
    for (const text of ['[1,2,3]', '"a"', '{"a":[1,2]}', ` ${JSON.stringify(Array.from({ length: 500 }, (_, i) => i))}`]) {
      expect(await parseJsonInSlices(text, { nextSlice: async () => {}, charsPerSlice: 64 })).toEqual(JSON.parse(text))
    }
  })
})

describe('decodeUtf8InSlices', () => {
  it('decodes characters cut between two slices', async () => {
    const text = 'Zoé 😀 Łódź '.repeat(500)
    const bytes = new TextEncoder().encode(text)
    let slices = 0
    for (const size of [1, 2, 3, 7, 1000]) {
      expect(await decodeUtf8InSlices(bytes, { nextSlice: async () => void slices++, charsPerSlice: size })).toBe(text)
    }
    expect(slices).toBeGreaterThan(bytes.length)
  })

  it('refuses bytes that are not UTF-8, like a fatal TextDecoder', async () => {
    const bytes = new TextEncoder().encode('a'.repeat(100))
    bytes[57] = 0xff
    await expect(decodeUtf8InSlices(bytes, { nextSlice: async () => {}, charsPerSlice: 10 })).rejects.toThrow(TypeError)
    // A character cut at the very end is an error too, not a character kept for later.
    const cut = new TextEncoder().encode(`${'a'.repeat(30)}é`).subarray(0, 31)
    await expect(decodeUtf8InSlices(cut, { nextSlice: async () => {}, charsPerSlice: 10 })).rejects.toThrow(TypeError)
  })
})
