/**
 * The fixture of a browser test file whose steps build on each other: two devices (one relay, one
 * Chromium) started once for the file, every page's health checked after each step, everything
 * disposed after the file.
 */
import { afterAll, afterEach, beforeAll } from 'vitest'
import { startTwoDevices } from './browser'
import type { TwoDevices } from './browser'

/**
 * Registers the file's hooks; the function it returns gives the devices inside a step, or
 * rethrows why they did not start, so that every step fails with the cause (never a skip).
 */
export function useTwoDevices(): () => TwoDevices {
  let fixture: TwoDevices | null = null
  let startupError: unknown = null
  beforeAll(async () => {
    try {
      fixture = await startTwoDevices()
    } catch (error) {
      startupError = error
    }
  })
  afterEach(() => {
    fixture?.assertHealthy()
  })
  afterAll(async () => {
    await fixture?.dispose()
  })
  return () => {
    if (startupError !== null) throw startupError
    if (!fixture) throw new Error('The relay and Chromium did not start (beforeAll)')
    return fixture
  }
}

/** What an earlier step handed over; fails the step, naming what is missing, when it did not. */
export function need<T>(value: T | null | false, what: string): T {
  if (value === null || value === false) throw new Error(`This step needs ${what}, which an earlier step did not produce: see its failure.`)
  return value
}
