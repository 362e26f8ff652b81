/**
 * A real PNG, made in the test: 8-bit RGBA pixels, optionally a tEXt chunk (distinctive bytes to
 * search for), for tests that need an image a browser decodes and whose pixels they know.
 *
 *   signature · IHDR · [tEXt keyword\0text] · IDAT (zlib of each row: filter 0, then RGBA) · IEND
 *   each chunk: length (u32 BE) · type · data · CRC-32 of type and data
 */
import { crc32, deflateSync } from 'node:zlib'

export interface PngImage {
  readonly width: number
  readonly height: number
  /** width × height × 4 bytes, row by row. */
  readonly rgba: readonly number[]
  readonly text?: { readonly keyword: string; readonly value: string }
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

export function encodePng(image: PngImage): Buffer {
  const { width, height, rgba } = image
  if (rgba.length !== width * height * 4) throw new RangeError(`rgba holds ${rgba.length} bytes, not ${width}×${height}×4`)
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8 bits per channel, RGBA, deflate, no filter method, no interlace
  const rows = Buffer.alloc(height * (1 + width * 4))
  for (let y = 0; y < height; y++) {
    rows[y * (1 + width * 4)] = 0
    rows.set(rgba.slice(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1)
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    ...(image.text ? [chunk('tEXt', Buffer.from(`${image.text.keyword}\0${image.text.value}`, 'latin1'))] : []),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(typed))
  return Buffer.concat([length, typed, crc])
}
