/**
 * The access log of a patient's file between two devices and the relay in this process
 * (in-memory-relay.ts): device A opens a file while offline, the opening syncs once A is back,
 * and device B reads who, which device and when; B's own opening reaches A. What the relay
 * received and stored holds none of it in clear.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createPractice } from '../client/src/sync/device/device'
import { fixedClock } from '../shared/src/model/actor'
import { listFileOpenings, recordFileOpening } from '../shared/src/model/access-log'
import { toInstant } from '../shared/src/model/dates'
import { patientDocId } from '../shared/src/model/doc-ids'
import { filesUnder } from './helpers/files-under'
import { useInMemoryRelay } from './helpers/in-memory-fixture'
import { writeTestPractice } from './helpers/practice-shown'
import { actorOf } from './helpers/relay-fixture'
import { TEST_TIME_ZONE, TEST_TODAY } from './helpers/test-clock'
import { waitFor } from './helpers/wait-for'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const fixture = useInMemoryRelay()
const track = fixture.track

function contains(haystack: Uint8Array, text: string): boolean {
  return Buffer.from(haystack).includes(Buffer.from(text, 'utf8'))
}

describe('the access log of a patient file on two devices', () => {
  it('an opening on A, offline, reaches B with who, which device and when; B’s reaches A', async () => {
    const envA = fixture.device('cabinet')
    const a = await track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet des Tamaris', practitioner: { displayName: 'Solène Kerouac', profession: 'kine' } },
        envA,
      ),
    )
    const { patientId } = await writeTestPractice(a, ['Lemoine'])
    const b = await track(joinWith(await pairingTicket(a.record.spaceId, envA), fixture.device('domicile')))
    const fileA = await a.space.openDoc(patientDocId(patientId))
    const fileB = await b.space.openDoc(patientDocId(patientId))

    a.space.disconnect()
    const openedAt = toInstant(`${TEST_TODAY}T09:12`, TEST_TIME_ZONE)
    expect(recordFileOpening(fileA, actorOf(a), fixedClock(openedAt))).not.toBeNull()
    a.space.connect()
    await a.space.whenAcknowledged()
    await waitFor(() => expect(listFileOpenings(fileB)).toEqual([{ kind: 'open', at: openedAt, by: actorOf(a) }]))
    expect(actorOf(a).deviceId).not.toBe(actorOf(b).deviceId)

    const laterAt = toInstant(`${TEST_TODAY}T11:40`, TEST_TIME_ZONE)
    recordFileOpening(fileB, actorOf(b), fixedClock(laterAt))
    await b.space.whenAcknowledged()
    await waitFor(() =>
      expect(listFileOpenings(fileA)).toEqual([
        { kind: 'open', at: laterAt, by: actorOf(b) },
        { kind: 'open', at: openedAt, by: actorOf(a) },
      ]),
    )

    // The relay carried and stored the openings as ciphertext only: not the log's name, not who.
    const stored = filesUnder(fixture.relay.dataDir).map((file) => readFileSync(file))
    expect(fixture.relay.sent.length).toBeGreaterThan(0)
    expect(stored.length).toBeGreaterThan(0)
    for (const bytes of [...fixture.relay.sent, ...stored]) {
      expect(contains(bytes, 'accessLog')).toBe(false)
      expect(contains(bytes, actorOf(a).memberId)).toBe(false)
    }
  })
})
