/**
 * Pairing by QR code through a real camera path, in Chromium (issue 19): the new device shows its
 * QR code; a screenshot of that very element becomes the video Chromium plays as the
 * administrator's camera; the administrator taps « Scanner le QR code » in Réglages › Ajouter un
 * appareil, the app reads the QR from the camera (with jsQR: Chromium on Linux has no
 * BarcodeDetector), both screens show the same six digits, and accepting lets the new device in.
 *
 * Two Chromium processes, because the fake camera is a launch flag: the joining device's browser
 * (no camera), then the administrator's, launched once the QR to film exists.
 *
 * Run with `npx vite build && npx vitest run --project e2e tests/e2e/pairing-by-qr.test.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodePairingQr } from '../../shared/src/devices/pairing-qr'
import type { RelayProcess } from '../helpers/relay-process'
import { cameraFlags, decodePng, y4mOf } from './helpers/camera-video'
import { launchChromium, openDevice, startAppRelay, type Device } from './helpers/browser'
import { chooseMember, confirmationShown, createPractice, nav, showJoiningCode, SYNC_TIMEOUT } from './helpers/practice-steps'

const PRACTICE = { name: 'Cabinet des Aubépines', practitioner: 'Séverine Calvez' }
/** Headless Chromium without the fake camera flags has no camera to offer the page. */
const CAMERA_MISSING = /^Aucune caméra n'est disponible sur cet appareil/

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`This step needs ${what}`)
  return value
}

describe.sequential('pairing by QR code, through Chromium’s camera', () => {
  let relay: RelayProcess
  const browsers: Browser[] = []
  const devices: Device[] = []
  const scratch = mkdtempSync(join(tmpdir(), 'tournee-qr-camera-'))

  beforeAll(async () => {
    relay = await startAppRelay()
  })

  afterAll(async () => {
    for (const browser of browsers) await browser.close()
    await relay?.dispose()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('the administrator scans the QR the new device shows, both screens agree, and the device joins', async () => {
    const joiningBrowser = await launchChromium()
    browsers.push(joiningBrowser)
    const joining = await openDevice(joiningBrowser, relay, 'nouvelle tablette')
    devices.push(joining)
    const code = await showJoiningCode(joining.page)

    // The QR the page rendered, as pixels, and what it says (read by the test only to check it).
    const qr = joining.page.getByRole('img', { name: "QR code d'appairage" })
    await qr.waitFor()
    const screenshot = await qr.screenshot()
    const image = await decodePng(joiningBrowser, screenshot)
    const video = join(scratch, 'qr.y4m')
    writeFileSync(video, y4mOf(image, { width: 640, height: 480, frames: 3 }))

    const adminBrowser = await launchChromium(cameraFlags(video))
    browsers.push(adminBrowser)
    const admin = await openDevice(adminBrowser, relay, 'tablette du cabinet')
    devices.push(admin)
    await admin.context.grantPermissions(['camera'], { origin: relay.url })
    await createPractice(admin.page, PRACTICE)
    await nav(admin.page, 'Réglages').click()
    const section = admin.page.getByRole('region', { name: 'Ajouter un appareil' })
    await section.getByRole('button', { name: 'Scanner le QR code' }).click()

    // No code typed: the digits come from the scanned claim, and the camera is off once it read.
    const digits = await confirmationShown(admin.page)
    expect(await confirmationShown(joining.page)).toBe(digits)
    await expect.poll(() => section.getByLabel('Image de la caméra').count()).toBe(0)
    expect(await section.getByLabel('Code affiché sur le nouvel appareil').count()).toBe(0)
    await section.getByText('Le QR code a vérifié les clés du nouvel appareil').waitFor()

    await section.getByRole('button', { name: "Codes identiques : ajouter l'appareil" }).click()
    await section.getByText('Appareil ajouté').waitFor({ timeout: SYNC_TIMEOUT })
    await chooseMember(joining.page, PRACTICE.practitioner)
    expect(code).toMatch(/^[0-9A-Z]{10}$/)

    for (const device of devices) device.assertHealthy()
  })

  it('a device without a camera says so, and the typed code still pairs', async () => {
    // The device that just joined runs in the browser with no camera: it is an administrator's
    // device now, and the one to try scanning from.
    const noCamera = need(devices[0], 'the joined device of the first step')
    const newcomer = await openDevice(browsers[0]!, relay, 'troisième appareil')
    devices.push(newcomer)
    const code = await showJoiningCode(newcomer.page)
    await nav(noCamera.page, 'Réglages').click()
    const section = noCamera.page.getByRole('region', { name: 'Ajouter un appareil' })
    await section.getByRole('button', { name: 'Scanner le QR code' }).click()
    await expect.poll(() => section.getByRole('alert').textContent(), { timeout: SYNC_TIMEOUT }).toMatch(CAMERA_MISSING)
    expect(await section.getByLabel('Image de la caméra').count()).toBe(0)

    await section.getByLabel('Code affiché sur le nouvel appareil').fill(code)
    await section.getByRole('button', { name: 'Continuer' }).click()
    expect(await confirmationShown(newcomer.page)).toBe(await confirmationShown(noCamera.page))
    await section.getByRole('button', { name: 'Codes différents : refuser' }).click()
    await section.getByText('Appairage refusé.').waitFor()
    noCamera.assertHealthy()
  })

  it('the QR shown carries the code under it and keys of the right form', async () => {
    // A fresh joining page: what its QR says, read from the element's own pixels by the app's decoder path.
    const joining = await openDevice(browsers[0]!, relay, 'autre tablette')
    devices.push(joining)
    const code = await showJoiningCode(joining.page)
    const image = await decodePng(browsers[0]!, await joining.page.getByRole('img', { name: "QR code d'appairage" }).screenshot())
    const { decodeQrFromRgba } = await import('../../client/src/views/pairing/qr-image-decoder')
    const text = decodeQrFromRgba(new Uint8ClampedArray(image.rgba), image.width, image.height)
    expect(text).not.toBeNull()
    expect(decodePairingQr(text!).code).toBe(code)
    joining.assertHealthy()
  })
})
