/**
 * A new device waiting for its pairing while the relay cannot answer, in real Chromium (issue 22:
 * several nodes behind one address, one restarting). B's polls of its pairing meet a 503, as a
 * reverse proxy answers while its upstream node restarts: B's screen says « Relais injoignable,
 * nouvel essai… » and keeps its code; when the relay answers again the line goes, A accepts, and
 * B joins.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/pairing-relay-unavailable.test.ts`.
 */
import { describe, expect, it } from 'vitest'
import { useTwoDevices } from './helpers/step-fixture'
import { acceptDevice, chooseMember, createPractice, eventually, showJoiningCode } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Tilleuls', practitioner: 'Youenn Le Dantec' }
const RETRYING = 'Relais injoignable, nouvel essai…'

describe.sequential('pairing while the relay cannot answer, in Chromium', () => {
  const setup = useTwoDevices()

  it('1. B says the relay is unreachable while its polls meet 503s, then joins once it answers', async () => {
    const { a, b } = setup()
    await createPractice(a.page, PRACTICE)
    let unavailable = true
    let refusedPolls = 0
    // Only B's polls of its own pairing: opening it (POST) goes through.
    await b.page.route(/\/v1\/pairings\/[0-9A-Z]{10}$/, async (route) => {
      if (route.request().method() !== 'GET' || !unavailable) return route.fallback()
      refusedPolls++
      return route.fulfill({ status: 503, body: 'upstream restarting' })
    })
    const code = await showJoiningCode(b.page)
    const retrying = b.page.getByText(RETRYING)
    await retrying.waitFor()
    expect(refusedPolls).toBeGreaterThanOrEqual(1)
    // The code is still shown: the pairing goes on.
    await expect.poll(async () => ((await b.page.getByRole('status', { name: "Code d'appairage" }).textContent()) ?? '').replace('-', '')).toBe(code)

    unavailable = false
    await eventually(() => retrying.count(), 'the retry line gone once the relay answers').toBe(0)
    await acceptDevice(a.page, code, b.page)
    await chooseMember(b.page, PRACTICE.practitioner)
  })
})
