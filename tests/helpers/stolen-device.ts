/**
 * The attacker the relay cannot stop since entries are signed (shared/src/envelope/entry-signature.ts):
 * a registered device in the wrong hands — stolen, or its owner gone rogue. It holds a signing key
 * the registry added and that device's own credential, so it can sign any bytes at any position of
 * any room, another device's next clock included, and the relay takes them: only the devices, which
 * can decrypt, can tell junk from a change (what the tests that use this prove).
 *
 * Its keys come from `grantDevice` (pairing-ticket.ts), which registers the device as an
 * administrator does; the signing key is imported from its JWK, as the benchmarks' child processes do.
 */
import * as Y from 'yjs'
import { entrySignedBytes, entrySigner, type EntryPosition, type EntrySigner } from '../../shared/src/envelope/entry-signature'
import { decodePairingCode } from '../../shared/src/space/pairing-code'
import type { TestEntry } from '../../relay/src/test-support/test-entries'
import { grantDevice, type PairingTicket } from './pairing-ticket'

/** An entry as a signing device writes it: `{d, c}` with its signer `w` and signature `s`. */
export interface SignedTestEntry extends TestEntry {
  w: string
  s: Uint8Array
}

export interface StolenDevice {
  readonly spaceId: string
  readonly deviceId: string
  /** The device's own relay credential (the registry knows it). */
  readonly credential: string
  /** `entry` signed by this device at `at` in room `roomId` (its id on the wire). */
  sign(roomId: string, at: EntryPosition, entry: TestEntry): Promise<SignedTestEntry>
  /**
   * Pushes `entries` into `doc`'s entries array as the doc's client (`doc.clientID`, which the test
   * may set to another device's), each signed at the clock it takes there.
   */
  pushSigned(doc: Y.Doc, roomId: string, entries: readonly TestEntry[]): Promise<SignedTestEntry[]>
}

const SIGN = { name: 'ECDSA', namedCurve: 'P-256' } as const

/** Registers one more device with `ticket` and hands its keys to the attacker. */
export async function stolenDevice(ticket: PairingTicket): Promise<StolenDevice> {
  const granted = await grantDevice(ticket)
  const info = decodePairingCode(granted.code)
  if (info.deviceId === undefined) throw new Error('This practice has no registry: no device key to steal')
  const key = await crypto.subtle.importKey('jwk', granted.identity.sign.privateKey, SIGN, false, ['sign'])
  const signer: EntrySigner = entrySigner(info.deviceId, key)
  const sign = async (roomId: string, at: EntryPosition, entry: TestEntry): Promise<SignedTestEntry> => ({
    ...entry,
    w: signer.deviceId,
    s: await signer.sign(entrySignedBytes(info.spaceId, roomId, at, entry.d, entry.c)),
  })
  return {
    spaceId: info.spaceId,
    deviceId: info.deviceId,
    credential: info.credential,
    sign,
    async pushSigned(doc, roomId, entries) {
      const client = doc.clientID
      const first = Y.getState(doc.store, client)
      const signed = await Promise.all(entries.map((entry, i) => sign(roomId, { client, clock: first + i }, entry)))
      doc.getArray('entries').push(signed)
      return signed
    },
  }
}
