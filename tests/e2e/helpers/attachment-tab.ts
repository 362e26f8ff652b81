/**
 * The tab an attachment opens in (client/src/views/patients/file/show-in-tab.ts): an image is an
 * `<img>` of a blob: URL in that tab, anything else is the tab's page. The app's
 * Content-Security-Policy is inherited by both, and refuses a fetch of the blob (connect-src), so
 * a test reads an image back as the browser decoded it: its pixels, drawn on a canvas.
 */
import type { Page } from 'playwright-core'

export interface ShownImage {
  readonly src: string
  readonly width: number
  readonly height: number
  readonly rgba: number[]
}

/** Waits for the tab's image to load, then reads its pixels. */
export async function shownImage(tab: Page, timeout = 20_000): Promise<ShownImage> {
  const image = tab.locator('img')
  await image.waitFor({ timeout })
  return image.evaluate(async (element: HTMLImageElement) => {
    await element.decode()
    const canvas = document.createElement('canvas')
    canvas.width = element.naturalWidth
    canvas.height = element.naturalHeight
    const context = canvas.getContext('2d')
    if (!context) throw new Error('no 2d canvas in the attachment tab')
    context.drawImage(element, 0, 0)
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height)
    return { src: element.src, width: canvas.width, height: canvas.height, rgba: Array.from(data) }
  })
}
