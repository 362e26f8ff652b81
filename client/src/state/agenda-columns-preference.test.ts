import { describe, expect, it } from 'vitest'
import { readHiddenPractitioners, writeHiddenPractitioners } from './agenda-columns-preference'

function memoryStorage() {
  const items = new Map<string, string>()
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  }
}

describe('agenda columns preference', () => {
  it('hides nobody by default, remembers a choice per practice', () => {
    const storage = memoryStorage()
    expect(readHiddenPractitioners(storage, 'space-a')).toEqual([])
    writeHiddenPractitioners(storage, 'space-a', ['p1', 'p2'])
    expect(readHiddenPractitioners(storage, 'space-a')).toEqual(['p1', 'p2'])
    expect(readHiddenPractitioners(storage, 'space-b')).toEqual([])
  })

  it('reads garbage as nobody hidden', () => {
    const storage = memoryStorage()
    storage.setItem('tournee.agenda.hidden.space-a', '{not json')
    expect(readHiddenPractitioners(storage, 'space-a')).toEqual([])
    storage.setItem('tournee.agenda.hidden.space-a', '{"a":1}')
    expect(readHiddenPractitioners(storage, 'space-a')).toEqual([])
  })
})
