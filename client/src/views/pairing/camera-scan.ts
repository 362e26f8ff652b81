/**
 * Reading a QR code with the device's camera (issue 19, « Pairing by QR »): the back camera
 * (`facingMode: environment`, the one a tablet points at another screen) into a <video>, frames
 * read by the platform's `BarcodeDetector` where it has one that knows QR codes (Chrome on Android
 * and macOS, Safari 17+), by jsQR elsewhere (qr-image-decoder.ts, loaded on first use).
 *
 * The camera is on only while a scan runs: it stops as soon as a code is read, when the scan is
 * aborted (« Annuler », the screen closed), or when it fails. A camera that is refused or absent
 * is a named CameraError, and the screen falls back to the typed code.
 */

/** How often a frame is read: enough to feel instant, little enough for a tablet's battery. */
export const SCAN_INTERVAL_MS = 150
/** Frames are read at most this many pixels on their long side: a screen-sized QR needs no more. */
const MAX_SIDE = 800

export const CameraFailure = {
  /** The person (or a policy) refused the camera to this page. */
  Refused: 'refused',
  /** This device has no camera, or none the browser can open. */
  Absent: 'absent',
  /** There is one, but it did not start (in use by another app, a driver error). */
  Unavailable: 'unavailable',
} as const
export type CameraFailure = (typeof CameraFailure)[keyof typeof CameraFailure]

export class CameraError extends Error {
  override name = 'CameraError'
  constructor(
    readonly failure: CameraFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** The part of the Shape Detection API used here (not yet in TypeScript's DOM types). */
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<Array<{ rawValue: string }>>
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike
  getSupportedFormats(): Promise<string[]>
}

type FrameReader = (video: HTMLVideoElement) => Promise<string | null>

/**
 * Opens the camera into `video` and resolves with the text of the first QR code it reads, or with
 * null once `signal` aborts. The camera is stopped before it returns, whatever the outcome.
 */
export async function scanQrCode(video: HTMLVideoElement, signal: AbortSignal): Promise<string | null> {
  const stream = await openCamera()
  try {
    if (signal.aborted) return null
    video.muted = true
    video.playsInline = true
    video.srcObject = stream
    await video.play()
    const read = await frameReader()
    while (!signal.aborted) {
      if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth > 0) {
        const text = await read(video)
        if (text !== null && !signal.aborted) return text
      }
      await pause(SCAN_INTERVAL_MS, signal)
    }
    return null
  } catch (error) {
    // play() is aborted when the element leaves the page mid-start: that is the abort, not a failure.
    if (signal.aborted) return null
    if (error instanceof CameraError) throw error
    throw new CameraError(CameraFailure.Unavailable, 'The camera started but its picture could not be read', { cause: error })
  } finally {
    for (const track of stream.getTracks()) track.stop()
    video.srcObject = null
  }
}

async function openCamera(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new CameraError(CameraFailure.Absent, 'This browser offers no camera to the page')
  try {
    return await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
  } catch (error) {
    const name = error instanceof DOMException ? error.name : ''
    if (name === 'NotAllowedError' || name === 'SecurityError') throw new CameraError(CameraFailure.Refused, 'The camera was refused to this page', { cause: error })
    if (name === 'NotFoundError' || name === 'OverconstrainedError') throw new CameraError(CameraFailure.Absent, 'No camera on this device', { cause: error })
    throw new CameraError(CameraFailure.Unavailable, 'The camera did not start', { cause: error })
  }
}

async function frameReader(): Promise<FrameReader> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector
  if (Detector && (await Detector.getSupportedFormats()).includes('qr_code')) {
    const detector = new Detector({ formats: ['qr_code'] })
    return async (video) => (await detector.detect(video))[0]?.rawValue ?? null
  }
  const { decodeQrFromRgba } = await import('./qr-image-decoder')
  const canvas = document.createElement('canvas')
  const context = canvas.getContext('2d', { willReadFrequently: true })
  if (context === null) throw new CameraError(CameraFailure.Unavailable, 'No 2D canvas to read the camera frames from')
  return async (video) => {
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight))
    canvas.width = Math.round(video.videoWidth * scale)
    canvas.height = Math.round(video.videoHeight * scale)
    context.drawImage(video, 0, 0, canvas.width, canvas.height)
    const frame = context.getImageData(0, 0, canvas.width, canvas.height)
    return decodeQrFromRgba(frame.data, frame.width, frame.height)
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
