/**
 * A finger on a touch screen, through CDP `Input.dispatchTouchEvent`: Chromium turns these into
 * the touch and pointer events a real touchscreen produces (pointerType 'touch', touch-action,
 * implicit capture, scrolling), so the app's gesture handling runs as on a tablet. `page.mouse`
 * would be a mouse, and a synthetic dispatchEvent would bypass the browser's gesture handling.
 */
import type { CDPSession, Page } from 'playwright-core'

export type Point = { x: number; y: number }

async function session(page: Page): Promise<CDPSession> {
  return page.context().newCDPSession(page)
}

/** A swipe from `from` by `dy` pixels in small quick moves, as a thumb scrolls a list. */
export async function swipe(page: Page, from: Point, dy: number, steps = 10): Promise<void> {
  const cdp = await session(page)
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [from] })
  for (let i = 1; i <= steps; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: from.x, y: from.y + (dy * i) / steps }] })
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] })
  await cdp.detach()
}

/**
 * A long press at `from`, held still for `holdMs` (a long press is a duration: this waits it
 * out), then `whileHeld` runs (to look at the lifted block), then a drag by `dy` and a release.
 */
export async function longPressDrag(page: Page, from: Point, dy: number, holdMs: number, whileHeld?: () => Promise<void>): Promise<void> {
  const cdp = await session(page)
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [from] })
  // A finger is never perfectly still: a pixel of tremor stays within the long press's slop.
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: from.x + 1, y: from.y + 1 }] })
  await page.waitForTimeout(holdMs)
  await whileHeld?.()
  const steps = 10
  for (let i = 1; i <= steps; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: from.x + 1, y: from.y + 1 + (dy * i) / steps }] })
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] })
  await cdp.detach()
}

/** A quick tap. */
export async function tap(page: Page, at: Point): Promise<void> {
  await page.touchscreen.tap(at.x, at.y)
}
