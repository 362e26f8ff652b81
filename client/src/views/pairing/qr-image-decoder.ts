/**
 * Reading a QR code from pixels where the browser has no `BarcodeDetector` (Chromium on Linux and
 * Windows, Firefox, Safari before 17): jsQR, pure JavaScript, so nothing changes in the app's
 * Content-Security-Policy (no WebAssembly, no worker script of its own). Only this module imports
 * it, and camera-scan.ts loads it on first use: the app's first screen does not pay for a decoder
 * it may never need. qr-image-decoder.test.ts draws pairing QR codes with `qrcode` and reads them
 * back, so an upgrade of either that breaks the other fails there.
 */
import jsQR from 'jsqr'

/** The text of the QR code found in an RGBA image (a canvas's ImageData), or null when none is read. */
export function decodeQrFromRgba(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  // A screen shows the pairing QR dark on light: the inverted pass would double the cost of a frame.
  return jsQR(rgba, width, height, { inversionAttempts: 'dontInvert' })?.data ?? null
}
