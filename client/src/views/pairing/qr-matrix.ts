/**
 * The dark and light modules of a QR code, from the `qrcode` package (the one place that knows it):
 * the joining screen draws them as an SVG path (PairingQrCode.tsx), and the decoder's test reads
 * them back, so an upgrade of either library that breaks the other fails qr-image-decoder.test.ts.
 *
 * Level M (15 % of the symbol restorable): the pairing text is 200 characters, a version-10 symbol
 * (57 modules a side) that a tablet's camera reads from a phone's screen at arm's length.
 */
import QRCode from 'qrcode'

/** Modules of light margin around the symbol, as the QR standard asks for a reader to find it. */
export const QUIET_ZONE = 4

export interface QrMatrix {
  /** Modules a side, without the quiet zone. */
  readonly size: number
  dark(row: number, column: number): boolean
}

export function qrMatrix(text: string): QrMatrix {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  return { size: modules.size, dark: (row, column) => modules.get(row, column) === 1 }
}

/**
 * An SVG path of the dark modules, one unit per module, offset by the quiet zone: a row's run of
 * dark modules is one rectangle, so the path stays a few kilobytes.
 */
export function qrPath(matrix: QrMatrix): string {
  const parts: string[] = []
  for (let row = 0; row < matrix.size; row++) {
    let column = 0
    while (column < matrix.size) {
      if (!matrix.dark(row, column)) {
        column++
        continue
      }
      const start = column
      while (column < matrix.size && matrix.dark(row, column)) column++
      parts.push(`M${start + QUIET_ZONE} ${row + QUIET_ZONE}h${column - start}v1h${start - column}z`)
    }
  }
  return parts.join('')
}
