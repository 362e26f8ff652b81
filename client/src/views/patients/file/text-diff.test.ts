import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { diffText } from './text-diff'

function apply(text: string, change: ReturnType<typeof diffText>): string {
  if (!change) return text
  return text.slice(0, change.index) + change.insert + text.slice(change.index + change.remove)
}

describe('diffText', () => {
  it.each([
    ['typing at the end', 'Douleur', 'Douleur lombaire', { index: 7, remove: 0, insert: ' lombaire' }],
    ['typing in the middle', 'Séance 3', 'Séance n° 3', { index: 7, remove: 0, insert: 'n° ' }],
    ['deleting a word', 'Douleur très vive', 'Douleur vive', { index: 8, remove: 5, insert: '' }],
    ['replacing a selection', 'genou droit', 'genou gauche', { index: 6, remove: 5, insert: 'gauche' }],
    ['clearing everything', 'abc', '', { index: 0, remove: 3, insert: '' }],
  ])('finds the one changed range when %s', (_label, before, after, expected) => {
    const change = diffText(before, after)
    expect(change).toEqual(expected)
    expect(apply(before, change)).toBe(after)
  })

  it('returns null when nothing changed', () => {
    expect(diffText('même texte', 'même texte')).toBeNull()
  })

  it('uses the caret to place an ambiguous insertion where it was typed', () => {
    // "aa" → "aaa" with the caret after the second character: typed at index 1.
    expect(diffText('aa', 'aaa', 2)).toEqual({ index: 1, remove: 0, insert: 'a' })
    expect(diffText('aa', 'aaa')).toEqual({ index: 2, remove: 0, insert: 'a' })
    expect(diffText('xx yy', 'xx xx yy', 3)).toEqual({ index: 0, remove: 0, insert: 'xx ' })
  })

  it('never splits an emoji', () => {
    const change = diffText('a😀', 'a😃')
    expect(change).toEqual({ index: 1, remove: 2, insert: '😃' })
  })

  it('keeps a concurrent edit on another replica intact (a whole-text replace would not)', () => {
    const a = new Y.Doc()
    a.getText('t').insert(0, 'Douleur lombaire.')
    const b = new Y.Doc()
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    const ta = a.getText('t')
    const change = diffText(ta.toString(), 'Douleur lombaire basse.', 16)!
    ta.delete(change.index, change.remove)
    ta.insert(change.index, change.insert)
    b.getText('t').insert(0, 'Séance 2. ')
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    expect(ta.toString()).toBe('Séance 2. Douleur lombaire basse.')
    expect(b.getText('t').toString()).toBe('Séance 2. Douleur lombaire basse.')
  })
})
