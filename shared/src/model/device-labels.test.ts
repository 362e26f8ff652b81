import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DEVICE_NAME_MAX, deviceLabels, labelDevice } from './device-labels'
import { ValidationError } from './validation-error'

const actor = { deviceId: 'tabletteAAAA', memberId: 'member-1' }
const clock = () => Date.UTC(2026, 0, 1)

describe('device labels', () => {
  it('names a device and records who holds it, each field merging on its own', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    labelDevice(a, 'telephoneBBB', { memberId: 'member-2' }, actor, clock)
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    // Concurrent: A renames, B sets another holder.
    labelDevice(a, 'telephoneBBB', { name: '  Téléphone de Camille ' }, actor, clock)
    labelDevice(b, 'telephoneBBB', { memberId: 'member-3' }, { ...actor, deviceId: 'ordinateurCC' }, clock)
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    for (const doc of [a, b]) expect(deviceLabels(doc).get('telephoneBBB')).toEqual({ name: 'Téléphone de Camille', memberId: 'member-3' })
  })

  it('refuses an empty name, and a name over the limit saying the limit', () => {
    const doc = new Y.Doc()
    expect(() => labelDevice(doc, 'x', { name: '   ' }, actor, clock)).toThrow(ValidationError)
    try {
      labelDevice(doc, 'x', { name: 'a'.repeat(DEVICE_NAME_MAX + 1) }, actor, clock)
      expect.unreachable()
    } catch (error) {
      expect((error as ValidationError).issues[0]).toMatchObject({ path: 'name', code: 'too_long', limit: DEVICE_NAME_MAX })
    }
    expect(deviceLabels(doc).size).toBe(0)
  })

  it('reads malformed fields as absent', () => {
    const doc = new Y.Doc()
    const label = new Y.Map<unknown>()
    doc.getMap('devices').set('bad', label)
    label.set('name', 42)
    label.set('memberId', { not: 'a string' })
    doc.getMap('devices').set('notAMap', 'x')
    expect([...deviceLabels(doc)]).toEqual([['bad', { name: null, memberId: null }]])
  })
})
