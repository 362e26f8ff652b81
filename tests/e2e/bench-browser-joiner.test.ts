/**
 * The bench's join in Chromium (tests/bench/browser-joiner.ts) against a real relay serving the
 * built app and a small generated practice: it times what a person sees, and a week that never
 * shows what it should is an error naming what was not seen, not a figure.
 */
import 'fake-indexeddb/auto'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteDeviceDatabases } from '../bench/bench-device'
import { BrowserJoinError, browserJoinTarget, joinInChromium, type BrowserJoinTarget } from '../bench/browser-joiner'
import { setUpPractice, type BenchPractice } from '../bench/fixture'
import { defaultSpec } from '../bench/generate'
import { builtClientDir, launchChromium } from './helpers/browser'
import { TEST_TODAY, testClock } from '../helpers/test-clock'

describe('bench: a fresh device joining in Chromium', () => {
  let practice: BenchPractice
  let browser: Browser
  let target: BrowserJoinTarget

  beforeAll(async () => {
    // Device A's rooms each add a y-websocket provider's process 'exit' listener (as in run.ts).
    process.setMaxListeners(0)
    // Three months around the test's today: this week's days fall in them whatever the date.
    const spec = defaultSpec(TEST_TODAY, { practitioners: 2, patients: 60, months: 3 })
    practice = await setUpPractice(spec, { TOURNEE_STATIC_DIR: builtClientDir })
    target = browserJoinTarget(practice.plaintext, { appUrl: practice.relay.url, code: practice.code, practitioners: 2, today: TEST_TODAY, clockAt: testClock() })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    if (practice) {
      await practice.a.space.destroy()
      await deleteDeviceDatabases(practice.envA)
      await practice.relay.dispose()
    }
  })

  it('times the chooser, this week with every appointment, and a patient search', async () => {
    // The generator plans weekdays only: a week always holds some (two practitioners, 25 a day).
    expect(target.weekAppointments).toBeGreaterThan(0)
    const sample = await joinInChromium(browser, target, 60_000)
    expect(sample.chooserMs).toBeGreaterThan(0)
    expect(sample.weekMs).toBeGreaterThan(sample.chooserMs)
    expect(sample.searchMs).toBeGreaterThan(0)
    // The tap comes after the list shows, and the week after the tap.
    expect(sample.tapToWeekMs).toBeGreaterThan(0)
    expect(sample.tapToWeekMs).toBeLessThanOrEqual(sample.weekMs - sample.chooserMs)
  })

  it('taps after a pause on « Qui êtes-vous ? » when asked, and times the week from that tap', async () => {
    const sample = await joinInChromium(browser, target, 60_000, 700)
    expect(sample.weekMs - sample.chooserMs).toBeGreaterThanOrEqual(700)
    expect(sample.tapToWeekMs).toBeGreaterThan(0)
    expect(sample.tapToWeekMs).toBeLessThanOrEqual(sample.weekMs - sample.chooserMs - 700)
  })

  it('fails, naming what it waited for, when the week never shows what it should', async () => {
    const join = joinInChromium(browser, { ...target, weekAppointments: target.weekAppointments + 1 }, 5_000)
    await expect(join).rejects.toThrow(BrowserJoinError)
    await expect(join).rejects.toThrow(
      `Not seen within 5000 ms: this week with ${target.weekAppointments + 1} appointments, none « Patient inconnu » (seen: ${target.weekAppointments} appointments in`,
    )
  })
})
