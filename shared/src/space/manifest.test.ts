import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { isFormatSupported, ManifestError, readManifest, SPACE_FORMAT, writeManifest } from './manifest'

describe('space manifest', () => {
  it('is written once with the current format, and read back by another device', () => {
    const doc = new Y.Doc()
    expect(readManifest(doc)).toBeNull()
    writeManifest(doc, { createdAt: 1_790_000_000_000, createdBy: 'tablette' })
    const other = new Y.Doc()
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
    expect(readManifest(other)).toEqual({ format: SPACE_FORMAT, createdAt: 1_790_000_000_000, createdBy: 'tablette' })
    expect(() => writeManifest(other, { createdAt: 1, createdBy: 'autre' })).toThrow(ManifestError)
  })

  it('says which field is wrong in a manifest a device wrote badly', () => {
    const doc = new Y.Doc()
    doc.getMap('manifest').set('format', 'un')
    expect(() => readManifest(doc)).toThrow(/field format/)
  })

  it('supports its own format and an unknown manifest, not a newer format', () => {
    expect(isFormatSupported(null)).toBe(true)
    expect(isFormatSupported({ format: SPACE_FORMAT, createdAt: 0, createdBy: 'a' })).toBe(true)
    expect(isFormatSupported({ format: SPACE_FORMAT + 1, createdAt: 0, createdBy: 'a' })).toBe(false)
  })
})
