// Node-side tests persist to fake-indexeddb (the browser tests use Chromium's real IndexedDB).
import 'fake-indexeddb/auto'
