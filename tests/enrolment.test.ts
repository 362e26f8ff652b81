/** A relay whose operator set an enrolment secret: creating a practice needs it, joining does not. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPractice } from '../client/src/sync/device/device'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'
import { nodeDeviceEnvironment } from './helpers/node-device'
import { joinWith, pairingTicket } from './helpers/pairing-ticket'

const SECRET = 'inscription-cabinet-2026'
let relay: RelayProcess

beforeAll(async () => {
  relay = await startRelayProcess({ env: { TOURNEE_ENROLMENT_SECRET: SECRET } })
})
afterAll(async () => {
  await relay.dispose()
})

const practice = { practiceName: 'Cabinet des Tilleuls', practitioner: { displayName: 'Jeanne Roux', profession: 'kine' as const } }

describe('enrolment on a shared relay', () => {
  it('refuses to create a practice without the secret, or with a wrong one, and stores nothing', async () => {
    for (const enrolmentSecret of [undefined, 'mauvais-code-inscription']) {
      const env = nodeDeviceEnvironment('refused')
      await expect(
        createPractice({ relayUrl: relay.url, ...practice, ...(enrolmentSecret ? { enrolmentSecret } : {}) }, env),
      ).rejects.toMatchObject({ name: 'RelayError', reason: 'enrolment-required' })
    }
    expect(relay.logs.join('\n')).not.toContain(SECRET)
  })

  it('creates the practice with the secret; other devices join with the pairing code alone', async () => {
    const env = nodeDeviceEnvironment('admitted')
    const first = await createPractice({ relayUrl: relay.url, ...practice, enrolmentSecret: SECRET }, env)
    await first.space.whenAcknowledged()
    const second = await joinWith(await pairingTicket(first.record.spaceId, env), nodeDeviceEnvironment('second'))
    expect(second.record.practiceName).toBe('Cabinet des Tilleuls')
    await first.space.destroy()
    await second.space.destroy()
  })
})
