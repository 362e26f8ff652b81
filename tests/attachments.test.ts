/**
 * Attachments across parts: two simulated devices and a real relay process. A file added while
 * offline waits in the device's queue, uploads when the space comes back online, and opens on the
 * other device with the same bytes; the relay's data folder never holds the file's bytes or name;
 * a wrong credential stores nothing; a relay that serves other bytes under a hash is caught.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createPractice, getPairingCode, type OpenPractice } from '../client/src/sync/device/device'
import { AttachmentUnavailableError } from '../client/src/sync/errors'
import { AttachmentIntegrityError, sha256Hex } from '../shared/src/attachments/attachment-cipher'
import { addAttachment, listAttachments } from '../shared/src/model/patient-file'
import { addPatient } from '../shared/src/model/patients'
import { DIRECTORY_DOC_ID, patientDocId } from '../shared/src/model/doc-ids'
import { actorOf, useRelayFixture } from './helpers/relay-fixture'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { waitFor } from './helpers/wait-for'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const fixture = useRelayFixture()
const encoder = new TextEncoder()
const FILE_NAME = 'ordonnance-Zephyrinovska-Odalrique.png'
const FILE = encoder.encode('PLAINTEXT-ORDONNANCE-' + 'Kinésithérapie lombaire, 10 séances. '.repeat(200))

function dataFolderContains(needle: Uint8Array): boolean {
  const dir = fixture.relay.dataDir
  return readdirSync(dir).some((name) => readFileSync(join(dir, name)).includes(Buffer.from(needle)))
}

function attachmentsOf(p: OpenPractice) {
  const sync = p.space.attachments
  if (!sync) throw new Error('The space was opened without attachments')
  return sync
}

describe('attachments between two devices and a relay', () => {
  let a: OpenPractice
  let b: OpenPractice
  let patientId: string
  let hash: string
  const envA = nodeDeviceEnvironment('tablette')

  it('a file added offline is queued, uploads once online, and opens on the other device', async () => {
    a = await fixture.track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet Quenouillère', practitioner: { displayName: 'Inès', profession: 'kine' } },
        envA,
      ),
    )
    const directory = await a.space.openDoc(DIRECTORY_DOC_ID)
    patientId = addPatient(directory, { birthName: 'Zéphyrinovska', firstNames: 'Odalrique' }, actorOf(a), Date.now)
    await a.space.whenAcknowledged()
    b = await fixture.track(joinWith(await pairingTicket(a.record.spaceId, envA), nodeDeviceEnvironment('telephone')))
    await waitFor(() => expect(b.space.getSyncState().status).toBe('online'))

    a.space.disconnect()
    const added = await attachmentsOf(a).add(FILE)
    hash = added.hash
    const file = await a.space.openDoc(patientDocId(patientId))
    addAttachment(file, { hash, name: FILE_NAME, mime: 'image/png', size: added.size }, actorOf(a), Date.now)
    expect(attachmentsOf(a).getState().pending).toEqual(new Set([hash]))
    // Offline, the device still opens its own file.
    expect(await attachmentsOf(a).open(hash)).toEqual(FILE)
    // Nothing reached the relay: the other device cannot have it.
    await expect(attachmentsOf(b).open(hash)).rejects.toBeInstanceOf(AttachmentUnavailableError)

    a.space.connect()
    await waitFor(() => expect(attachmentsOf(a).getState().pending.size).toBe(0))
    const fileOnB = await b.space.openDoc(patientDocId(patientId))
    await waitFor(() => expect(listAttachments(fileOnB).items.map((x) => x.hash)).toEqual([hash]))
    expect(await attachmentsOf(b).open(hash)).toEqual(FILE)
    // Fetched once, kept: b reads it offline too.
    b.space.disconnect()
    expect(await attachmentsOf(b).isCached(hash)).toBe(true)
    expect(await attachmentsOf(b).open(hash)).toEqual(FILE)
    b.space.connect()
  })

  it("the relay's data folder holds the ciphertext, never the file's bytes or name", async () => {
    await a.space.whenAcknowledged()
    // Positive control: the search finds what is there (the ciphertext, addressed by its hash).
    const blob = await fetch(`${fixture.relay.url}/v1/spaces/${a.record.spaceId}/attachments/${hash}`, {
      headers: { authorization: `Bearer ${credentialOf(await getPairingCode(a.record.spaceId, envA))}` },
    })
    expect(blob.status).toBe(200)
    const cipher = new Uint8Array(await blob.arrayBuffer())
    expect(await sha256Hex(cipher)).toBe(hash)
    expect(dataFolderContains(cipher.subarray(100, 164))).toBe(true)
    expect(dataFolderContains(FILE.subarray(0, 21))).toBe(false)
    expect(dataFolderContains(FILE.subarray(500, 564))).toBe(false)
    expect(dataFolderContains(encoder.encode(FILE_NAME))).toBe(false)
    expect(dataFolderContains(encoder.encode('Zephyrinovska'))).toBe(false)
  })

  it('refuses a wrong credential with 401 and stores nothing under that hash', async () => {
    const other = new Uint8Array([1, 2, 3, 4])
    const otherHash = await sha256Hex(other)
    const url = `${fixture.relay.url}/v1/spaces/${a.record.spaceId}/attachments/${otherHash}`
    const wrong = 'A'.repeat(43)
    const put = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${wrong}` }, body: other })
    expect(put.status).toBe(401)
    const right = credentialOf(await getPairingCode(a.record.spaceId, envA))
    expect((await fetch(url, { headers: { authorization: `Bearer ${right}` } })).status).toBe(404)
  })

  it('a device refuses bytes that do not match the hash it asked for', async () => {
    const env = nodeDeviceEnvironment('mefiant')
    // A relay (or a proxy) answering with other bytes: the device checks the hash before decrypting.
    env.fetchImpl = async (input, init) => {
      const response = await fetch(input, init)
      if (!String(input).includes('/attachments/')) return response
      const bytes = new Uint8Array(await response.arrayBuffer())
      bytes[40] = bytes[40]! ^ 0xff
      return new Response(bytes, { status: response.status })
    }
    const c = await fixture.track(joinWith(await pairingTicket(a.record.spaceId, envA), env))
    await expect(attachmentsOf(c).open(hash)).rejects.toBeInstanceOf(AttachmentIntegrityError)
    expect(await attachmentsOf(c).isCached(hash)).toBe(false)
  })
})

/** The credential inside a pairing code, the way the pairing module reads it. */
function credentialOf(code: string): string {
  return decodePairingCode(code).credential
}
