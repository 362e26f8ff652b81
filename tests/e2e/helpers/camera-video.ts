/**
 * A video file for Chromium's fake camera, made of what a page showed: Chromium plays a Y4M file
 * as its only camera when launched with `cameraFlags(file)`, so a page that opens the camera sees
 * exactly the pixels another page rendered (a QR code, screenshot with Playwright).
 *
 * Y4M (YUV4MPEG2) is a text header, then frames of raw planes:
 *
 *   YUV4MPEG2 W<width> H<height> F<num>:<den> Ip A1:1 C420jpeg\n
 *   FRAME\n <Y: width×height bytes> <U: (width/2)×(height/2)> <V: (width/2)×(height/2)>
 *   FRAME\n …
 *
 * C420jpeg is full-range BT.601 (the JPEG convention), chroma sampled once per 2×2 pixels. Chromium
 * loops the file, so a few identical frames are a still picture held in front of the camera.
 */
import type { Browser, Page } from 'playwright-core'

/** The flags that make one Chromium process's camera play `file`, and grant it without a prompt. */
export function cameraFlags(file: string): string[] {
  return ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${file}`]
}

export interface RgbaImage {
  readonly width: number
  readonly height: number
  /** RGBA, row by row, 4 bytes a pixel. */
  readonly rgba: Uint8Array
}

/**
 * Decodes a PNG with the browser's own decoder, in a blank page of its own (no app, no policy):
 * the project needs no PNG decoder of its own for a test.
 */
export async function decodePng(browser: Browser, png: Buffer): Promise<RgbaImage> {
  const context = await browser.newContext()
  try {
    const page: Page = await context.newPage()
    const decoded = await page.evaluate(async (base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }))
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
      const context = canvas.getContext('2d')!
      context.drawImage(bitmap, 0, 0)
      const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data
      let binary = ''
      for (let i = 0; i < data.length; i += 8192) binary += String.fromCharCode(...data.subarray(i, i + 8192))
      return { width: bitmap.width, height: bitmap.height, rgba: btoa(binary) }
    }, png.toString('base64'))
    return { width: decoded.width, height: decoded.height, rgba: new Uint8Array(Buffer.from(decoded.rgba, 'base64')) }
  } finally {
    await context.close()
  }
}

/**
 * `image` centred on a white frame of `width`×`height` (even numbers), as `frames` identical Y4M
 * frames at 10 frames a second.
 */
export function y4mOf(image: RgbaImage, options: { width: number; height: number; frames: number }): Buffer {
  const { width, height, frames } = options
  if (width % 2 !== 0 || height % 2 !== 0) throw new Error('A 4:2:0 frame has even sides')
  if (image.width > width || image.height > height) throw new Error(`A ${image.width}×${image.height} image does not fit a ${width}×${height} frame`)
  const left = Math.floor((width - image.width) / 2)
  const top = Math.floor((height - image.height) / 2)
  const rgbAt = (x: number, y: number): [number, number, number] => {
    const ix = x - left
    const iy = y - top
    if (ix < 0 || iy < 0 || ix >= image.width || iy >= image.height) return [255, 255, 255]
    const p = (iy * image.width + ix) * 4
    // Composited on white, as the page showed it.
    const alpha = image.rgba[p + 3]! / 255
    return [0, 1, 2].map((c) => Math.round(image.rgba[p + c]! * alpha + 255 * (1 - alpha))) as [number, number, number]
  }
  const luma = Buffer.alloc(width * height)
  const u = Buffer.alloc((width / 2) * (height / 2))
  const v = Buffer.alloc((width / 2) * (height / 2))
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgbAt(x, y)
      luma[y * width + x] = clamp(0.299 * r + 0.587 * g + 0.114 * b)
    }
  }
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < width / 2; x++) {
      let r = 0
      let g = 0
      let b = 0
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const [pr, pg, pb] = rgbAt(2 * x + dx, 2 * y + dy)
        r += pr / 4
        g += pg / 4
        b += pb / 4
      }
      u[y * (width / 2) + x] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)
      v[y * (width / 2) + x] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, u, v])
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), ...Array.from({ length: frames }, () => frame)])
}

function clamp(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)))
}
