import { describe, expect, it } from 'vitest'
import { readLanguage, writeLanguage } from './language-preference'

function memoryStorage() {
  const items = new Map<string, string>()
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  }
}

describe('language preference', () => {
  it('defaults to French, with or without storage', () => {
    expect(readLanguage(null)).toBe('fr')
    expect(readLanguage(memoryStorage())).toBe('fr')
  })

  it('remembers a choice and ignores garbage', () => {
    const storage = memoryStorage()
    writeLanguage(storage, 'en')
    expect(readLanguage(storage)).toBe('en')
    storage.setItem('tournee.language', 'klingon')
    expect(readLanguage(storage)).toBe('fr')
  })

  it('survives a storage that refuses writes', () => {
    const storage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
    }
    expect(() => writeLanguage(storage, 'en')).not.toThrow()
  })
})
