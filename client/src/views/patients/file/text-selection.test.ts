import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { anchorSelection, charAfter, charBefore, resolveSelection } from './text-selection'

/** Two replicas of one note, and a way to deliver one side's pending updates to the other. */
function twoReplicas(seed: string) {
  const a = new Y.Doc()
  a.getText('note').insert(0, seed)
  const b = new Y.Doc()
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  const deliver = (from: Y.Doc, to: Y.Doc) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
  return { a, b, deliver }
}

/** One person at a caret anchored to the text: types a character where the caret is now. */
function typist(doc: Y.Doc, at: number) {
  const text = doc.getText('note')
  let caret = anchorSelection(text, at, at)
  return (char: string) => {
    const { start } = resolveSelection(text, caret)
    text.insert(start, char)
    caret = anchorSelection(text, start + char.length, start + char.length)
  }
}

describe('a caret anchored to the characters of a Y.Text', () => {
  it.each([
    ['every keystroke delivered at once', 1],
    ['two keystrokes in flight', 2],
    ['one side far behind', 5],
  ])("keeps each person's run of letters together when both type at the same place (%s)", (_label, every) => {
    const seed = 'Séance du jour.'
    const { a, b, deliver } = twoReplicas(seed)
    const fromA = ' [Camille: RAS]'
    const fromB = ' [Julien: ok, revoir jeudi]'
    const typeA = typist(a, seed.length)
    const typeB = typist(b, seed.length)
    for (let i = 0; i < Math.max(fromA.length, fromB.length); i++) {
      if (i < fromA.length) typeA(fromA[i]!)
      if (i < fromB.length) typeB(fromB[i]!)
      if (i % every === every - 1) {
        deliver(a, b)
        deliver(b, a)
      }
    }
    deliver(a, b)
    deliver(b, a)
    const merged = a.getText('note').toString()
    expect(b.getText('note').toString()).toBe(merged)
    expect([seed + fromA + fromB, seed + fromB + fromA]).toContain(merged)
  })

  it('lets text arriving exactly at a collapsed caret go after it, and moves it with text arriving before', () => {
    const { a, b, deliver } = twoReplicas('abcdef')
    const text = a.getText('note')
    const caret = anchorSelection(text, 3, 3)
    b.getText('note').insert(3, 'XY')
    b.getText('note').insert(0, '12')
    deliver(b, a)
    expect(text.toString()).toBe('12abcXYdef')
    expect(resolveSelection(text, caret)).toEqual({ start: 5, end: 5 })
  })

  it('keeps a selection on the characters it selected, text arriving at its edges outside it', () => {
    const { a, b, deliver } = twoReplicas('genou droit')
    const text = a.getText('note')
    const selection = anchorSelection(text, 6, 11, 'forward')
    b.getText('note').insert(6, 'très ')
    b.getText('note').insert(b.getText('note').length, ' opéré')
    deliver(b, a)
    const { start, end } = resolveSelection(text, selection)
    expect(text.toString().slice(start, end)).toBe('droit')
  })

  it('stays at the cut when the characters around it are deleted', () => {
    const { a, b, deliver } = twoReplicas('abcdef')
    const text = a.getText('note')
    const caret = anchorSelection(text, 3, 3)
    b.getText('note').delete(1, 4)
    deliver(b, a)
    expect(text.toString()).toBe('af')
    expect(resolveSelection(text, caret)).toEqual({ start: 1, end: 1 })
  })

  it('measures the character before or after an index as a person sees it', () => {
    expect(charBefore('ab', 2)).toBe(1)
    expect(charBefore('a😀', 3)).toBe(2)
    expect(charBefore('👩‍⚕️', '👩‍⚕️'.length)).toBe('👩‍⚕️'.length)
    expect(charBefore('abc', 0)).toBe(0)
    expect(charAfter('😀b', 0)).toBe(2)
    expect(charAfter('ab', 2)).toBe(0)
  })
})
