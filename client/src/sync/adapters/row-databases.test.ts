/** The row writer's worker code, run in place on fake-indexeddb. */
import { describe, expect, it } from 'vitest'
import { randomId } from '../../../../shared/src/crypto/base64url'
import { RowDatabases } from './row-databases'

function createRooms(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, 1)
    open.onupgradeneeded = () => open.result.createObjectStore('updates', { autoIncrement: true })
    open.onsuccess = () => {
      open.result.close()
      resolve()
    }
    open.onerror = () => reject(open.error)
  })
}

function keysOf(name: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name)
    open.onsuccess = () => {
      const request = open.result.transaction('updates').objectStore('updates').getAllKeys()
      request.onsuccess = () => {
        open.result.close()
        resolve(request.result as number[])
      }
    }
    open.onerror = () => reject(open.error)
  })
}

describe('RowDatabases', () => {
  it('adds rows in order, and a replace leaves its own row alone', async () => {
    const name = `rows-${randomId()}`
    await createRooms(name)
    const rows = new RowDatabases()
    await Promise.all([1, 2, 3].map((n) => rows.add(name, new Uint8Array([n]))))
    expect(await keysOf(name)).toEqual([1, 2, 3])
    const key = await rows.replace(name, [new Uint8Array([9])])
    expect(key).toBe(4)
    expect(await keysOf(name)).toEqual([4])
    // A snapshot in several rows: all of them kept, every older one gone, the last one's key.
    expect(await rows.replace(name, [new Uint8Array([10]), new Uint8Array([11]), new Uint8Array([12])])).toBe(7)
    expect(await keysOf(name)).toEqual([5, 6, 7])
    await expect(rows.replace(name, [])).rejects.toThrow(RangeError)
    rows.close(name)
  })

  it('never creates a database that is gone (created without its stores, it would break the page’s next open)', async () => {
    const name = `rows-${randomId()}`
    const rows = new RowDatabases()
    await expect(rows.add(name, new Uint8Array([1]))).rejects.toThrow()
    expect((await indexedDB.databases()).map((db) => db.name)).not.toContain(name)
  })
})
