import { describe, expect, it } from 'vitest'
import { makeDeviceIdentity, publicKeysOf } from '../../../../shared/src/devices/device-identity'
import { decodePairingQr, encodePairingQr } from '../../../../shared/src/devices/pairing-qr'
import { decodeQrFromRgba } from './qr-image-decoder'
import { QUIET_ZONE, qrMatrix, qrPath } from './qr-matrix'

/** The matrix drawn as a screen would, `scale` pixels a module, black on white, in RGBA. */
function rasterize(text: string, scale: number): { rgba: Uint8ClampedArray; width: number; height: number } {
  const matrix = qrMatrix(text)
  const side = (matrix.size + 2 * QUIET_ZONE) * scale
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255)
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const row = Math.floor(y / scale) - QUIET_ZONE
      const column = Math.floor(x / scale) - QUIET_ZONE
      const dark = row >= 0 && column >= 0 && row < matrix.size && column < matrix.size && matrix.dark(row, column)
      if (dark) rgba.fill(0, (y * side + x) * 4, (y * side + x) * 4 + 3)
    }
  }
  return { rgba, width: side, height: side }
}

describe('QR codes drawn by qrcode and read by jsQR', () => {
  it('reads back the pairing text a joining device shows', async () => {
    const text = encodePairingQr({ code: '7KQ2MX9D4R', joining: await publicKeysOf(await makeDeviceIdentity()) })
    const matrix = qrMatrix(text)
    expect(matrix.size).toBe(57)
    const { rgba, width, height } = rasterize(text, 4)
    const read = decodeQrFromRgba(rgba, width, height)
    expect(read).toBe(text)
    expect(decodePairingQr(read!).code).toBe('7KQ2MX9D4R')
  })

  it('reads every one of many pairing QR codes, drawn at the size a screen shows them', async () => {
    // Keys are random, so is the symbol: a decoder that misses some symbols (@zxing/library 0.23
    // missed one in twenty-five here) would leave a person with a camera that never reads.
    const texts = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => encodePairingQr({ code: `7KQ2MX9D${String(i).padStart(2, '0')}`, joining: await publicKeysOf(await makeDeviceIdentity()) })),
    )
    const missed = texts.filter((text) => {
      const { rgba, width, height } = rasterize(text, 4)
      return decodeQrFromRgba(rgba, width, height) !== text
    })
    expect(missed).toEqual([])
  })

  it('finds nothing in a blank frame', () => {
    expect(decodeQrFromRgba(new Uint8ClampedArray(64 * 64 * 4).fill(255), 64, 64)).toBeNull()
  })

  it('draws one rectangle per run of dark modules, inside the quiet zone', () => {
    const path = qrPath({ size: 3, dark: (row, column) => row === 1 && column !== 1 })
    expect(path).toBe(`M${QUIET_ZONE} ${1 + QUIET_ZONE}h1v1h-1zM${2 + QUIET_ZONE} ${1 + QUIET_ZONE}h1v1h-1z`)
  })
})
