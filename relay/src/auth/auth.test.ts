import { describe, expect, it } from 'vitest'
import { toBase64Url } from '../../../shared/src/crypto/base64url'
import { parseBearer, parseBearerToken } from './bearer'
import { timingSafeEqualBytes, timingSafeEqualStrings } from './constant-time'
import { credentialMatches, hashCredential, InvalidCredentialError } from './credential'
import { checkEnrolment, enrolmentMode } from './enrolment'
import { checkOrigin } from './origin'
import { parseSubprotocols } from './subprotocols'
import { decideUpgrade, roomFromSyncPath } from './upgrade'
import { mayOpenRoom } from './role-access'
import { DeviceRole } from '../../../shared/src/devices/registry-chain'
import { CLINICAL_ROOM_ID_PREFIX, PRACTICE_ROOM_ID_PREFIX } from '../../../shared/src/protocol/ids'

const CREDENTIAL = toBase64Url(new Uint8Array(32).fill(7))
const OTHER_CREDENTIAL = toBase64Url(new Uint8Array(32).fill(8))
const SPACE = 'AbCdEfGhIjKlMnOpQrStUv'
const ROOM = 'RoOmRoOmRoOmRoOmRoOm_-'
const REGISTERED_SPACE = 'RegisteredSpaceWithDev'
const DEVICE_CREDENTIAL = toBase64Url(new Uint8Array(32).fill(9))
const REVOKED_CREDENTIAL = toBase64Url(new Uint8Array(32).fill(10))
const SECRETARY_CREDENTIAL = toBase64Url(new Uint8Array(32).fill(11))
const LOCUM_CREDENTIAL = toBase64Url(new Uint8Array(32).fill(12))
/** A locum's end of access: a fixed date, so the test reads the same on any day of any year. */
const LOCUM_UNTIL = Date.UTC(2027, 1, 28)

describe('credential hashing', () => {
  it('hashes the 32 credential bytes with SHA-256', () => {
    const hash = hashCredential(CREDENTIAL)
    expect(hash).toHaveLength(32)
    expect(credentialMatches(CREDENTIAL, hash)).toBe(true)
    expect(credentialMatches(OTHER_CREDENTIAL, hash)).toBe(false)
  })

  it.each([
    ['empty', ''],
    ['too short', CREDENTIAL.slice(1)],
    ['too long', CREDENTIAL + 'A'],
    ['standard base64 characters', CREDENTIAL.slice(0, 42) + '+'],
    ['padding', CREDENTIAL.slice(0, 42) + '='],
  ])('refuses a malformed credential (%s)', (_label, credential) => {
    expect(() => hashCredential(credential)).toThrow(InvalidCredentialError)
    expect(credentialMatches(credential, hashCredential(CREDENTIAL))).toBe(false)
  })
})

describe('constant-time comparison', () => {
  it.each([
    [[1, 2, 3], [1, 2, 3], true],
    [[1, 2, 3], [1, 2, 4], false],
    [[1, 2, 3], [1, 2], false],
    [[], [], true],
    [[], [0], false],
  ])('%j vs %j → %s', (a, b, expected) => {
    expect(timingSafeEqualBytes(new Uint8Array(a), new Uint8Array(b))).toBe(expected)
  })

  it('compares strings', () => {
    expect(timingSafeEqualStrings('secret-value', 'secret-value')).toBe(true)
    expect(timingSafeEqualStrings('secret-value', 'secret-valuf')).toBe(false)
  })
})

describe('subprotocol parsing', () => {
  const auth = `tournee-auth.${CREDENTIAL}`
  it.each([
    ['version and credential', `tournee.1, ${auth}`, { versionOffered: true, credential: CREDENTIAL, framedAnswers: false }],
    ['no spaces', `tournee.1,${auth}`, { versionOffered: true, credential: CREDENTIAL, framedAnswers: false }],
    ['as an array of headers', ['tournee.1', auth], { versionOffered: true, credential: CREDENTIAL, framedAnswers: false }],
    ['credential only', auth, { versionOffered: false, credential: CREDENTIAL, framedAnswers: false }],
    ['version only', 'tournee.1', { versionOffered: true, credential: null, framedAnswers: false }],
    ['other version', `tournee.2, ${auth}`, { versionOffered: false, credential: CREDENTIAL, framedAnswers: false }],
    ['absent', undefined, { versionOffered: false, credential: null, framedAnswers: false }],
    ['empty', '', { versionOffered: false, credential: null, framedAnswers: false }],
    ['malformed credential', 'tournee.1, tournee-auth.short', { versionOffered: true, credential: null, framedAnswers: false }],
    ['empty credential', 'tournee.1, tournee-auth.', { versionOffered: true, credential: null, framedAnswers: false }],
    ['two different credentials', `tournee.1, ${auth}, tournee-auth.${OTHER_CREDENTIAL}`, { versionOffered: true, credential: null, framedAnswers: false }],
    ['the same credential twice', `tournee.1, ${auth}, ${auth}`, { versionOffered: true, credential: CREDENTIAL, framedAnswers: false }],
    ['prefix in another case', `tournee.1, TOURNEE-AUTH.${CREDENTIAL}`, { versionOffered: true, credential: null, framedAnswers: false }],
    ['framed answers offered', `tournee.1, tournee-framed-answers, ${auth}`, { versionOffered: true, credential: CREDENTIAL, framedAnswers: true }],
    ['a huge header', `tournee.1, ${'x'.repeat(2000)}`, { versionOffered: false, credential: null, framedAnswers: false }],
  ])('%s', (_label, header, expected) => {
    expect(parseSubprotocols(header)).toEqual(expected)
  })
})

describe('bearer token parsing', () => {
  it.each([
    ['Bearer scrape-me-0123456789', 'scrape-me-0123456789'],
    ['bearer x', 'x'],
    ['Bearer', null],
    ['Bearer two words', null],
    ['Basic abc', null],
    ['Bearer tökén', null],
    [undefined, null],
  ])('%j → %j', (header, expected) => {
    expect(parseBearerToken(header)).toBe(expected)
  })
})

describe('bearer parsing', () => {
  it.each([
    [`Bearer ${CREDENTIAL}`, CREDENTIAL],
    [`bearer ${CREDENTIAL}`, CREDENTIAL],
    [undefined, null],
    ['', null],
    [CREDENTIAL, null],
    [`Basic ${CREDENTIAL}`, null],
    [`Bearer ${CREDENTIAL} extra`, null],
    ['Bearer short', null],
    [`Bearer  ${CREDENTIAL}`, null],
  ])('%j → %j', (header, expected) => {
    expect(parseBearer(header)).toBe(expected)
  })
})

describe('origin check', () => {
  const allowed = ['https://cabinet.example.fr']
  it.each([
    [undefined, 'relay.example.fr', 'absent'],
    ['', 'relay.example.fr', 'absent'],
    ['https://relay.example.fr', 'relay.example.fr', 'same-origin'],
    ['https://relay.example.fr', 'relay.example.fr:443', 'same-origin'],
    ['http://localhost:5173', 'localhost:5173', 'same-origin'],
    ['http://localhost:5173', 'localhost:8080', 'refused'],
    ['https://cabinet.example.fr', 'relay.example.fr', 'allowed'],
    ['https://cabinet.example.fr:8443', 'relay.example.fr', 'refused'],
    ['http://cabinet.example.fr', 'relay.example.fr', 'refused'],
    ['https://evil.example', 'relay.example.fr', 'refused'],
    ['null', 'relay.example.fr', 'refused'],
    ['file://', 'relay.example.fr', 'refused'],
    ['not a url', 'relay.example.fr', 'refused'],
    ['https://relay.example.fr', undefined, 'refused'],
  ])('Origin %j on Host %j → %s', (origin, host, expected) => {
    expect(checkOrigin(origin, host, allowed)).toBe(expected)
  })
})

describe('enrolment check', () => {
  const SECRET = 'a-long-enough-secret'
  it.each([
    // secret, open, header, local → verdict
    [null, false, undefined, true, 'open'],
    [null, false, 'anything', true, 'open'],
    [null, false, undefined, false, 'closed'],
    [null, false, 'anything', false, 'closed'],
    [null, true, undefined, false, 'open'],
    [SECRET, false, SECRET, false, 'granted'],
    [SECRET, false, SECRET, true, 'granted'],
    [SECRET, false, undefined, false, 'missing'],
    [SECRET, false, undefined, true, 'missing'],
    [SECRET, false, '', false, 'missing'],
    [SECRET, false, 'a-long-enough-secreT', false, 'wrong'],
    [SECRET, false, 'a-long-enough-secret ', true, 'wrong'],
  ] as const)('secret %j, open %j, header %j, local %j → %s', (secret, open, presented, local, expected) => {
    expect(checkEnrolment({ secret, open }, presented, local)).toBe(expected)
  })

  it.each([
    [{ secret: SECRET, open: false }, 'secret'],
    [{ secret: null, open: true }, 'open'],
    [{ secret: null, open: false }, 'local'],
  ] as const)('%j reads as %s', (policy, mode) => {
    expect(enrolmentMode(policy)).toBe(mode)
  })
})

describe('upgrade decision', () => {
  const stored = new Map([
    [SPACE, hashCredential(CREDENTIAL)],
    [REGISTERED_SPACE, hashCredential(CREDENTIAL)],
  ])
  // REGISTERED_SPACE has a device registry: its shared credential no longer opens it, its devices' do.
  const devices = new Map([
    [`${REGISTERED_SPACE}:${toBase64Url(hashCredential(DEVICE_CREDENTIAL))}`, { deviceId: 'tabletteAAAA', revoked: false, role: DeviceRole.Practitioner, until: null }],
    [`${REGISTERED_SPACE}:${toBase64Url(hashCredential(REVOKED_CREDENTIAL))}`, { deviceId: 'telephoneBBB', revoked: true, role: DeviceRole.Practitioner, until: null }],
    [`${REGISTERED_SPACE}:${toBase64Url(hashCredential(SECRETARY_CREDENTIAL))}`, { deviceId: 'accueilCCCCC', revoked: false, role: DeviceRole.Secretariat, until: null }],
    [`${REGISTERED_SPACE}:${toBase64Url(hashCredential(LOCUM_CREDENTIAL))}`, { deviceId: 'remplaDDDDDD', revoked: false, role: DeviceRole.Locum, until: LOCUM_UNTIL }],
  ])
  // « Today » for these decisions: the relay's clock is injected, never the wall clock.
  let today = LOCUM_UNTIL - 86_400_000
  const deps = {
    allowedOrigins: ['https://cabinet.example.fr'],
    storage: {
      getCredentialHash: async (id: string) => stored.get(id) ?? null,
      findDevice: async (id: string, hash: Uint8Array) => devices.get(`${id}:${toBase64Url(hash)}`) ?? null,
      countDevices: async (id: string) => (id === REGISTERED_SPACE ? devices.size : 0),
    },
    now: () => today,
  }
  const good = {
    host: 'relay.example.fr',
    'sec-websocket-protocol': `tournee.1, tournee-auth.${CREDENTIAL}`,
  }

  it('accepts a right credential on a room path of the space, query string ignored', async () => {
    expect(await decideUpgrade({ url: `/v1/sync/${SPACE}/${ROOM}?x=1`, headers: good }, deps)).toEqual({
      ok: true,
      spaceId: SPACE,
      roomId: ROOM,
      deviceId: null,
      role: DeviceRole.Practitioner,
      until: null,
      framedAnswers: false,
    })
    const framed = { ...good, 'sec-websocket-protocol': `tournee.1, tournee-framed-answers, tournee-auth.${CREDENTIAL}` }
    expect(await decideUpgrade({ url: `/v1/sync/${SPACE}/${ROOM}`, headers: framed }, deps)).toMatchObject({ ok: true, framedAnswers: true })
  })

  it('in a space with a device registry, opens for an unrevoked device only, and names a revoked one', async () => {
    const offer = (credential: string) => ({ ...good, 'sec-websocket-protocol': `tournee.1, tournee-auth.${credential}` })
    const url = `/v1/sync/${REGISTERED_SPACE}/${ROOM}`
    expect(await decideUpgrade({ url, headers: offer(DEVICE_CREDENTIAL) }, deps)).toEqual({ ok: true, spaceId: REGISTERED_SPACE, roomId: ROOM, deviceId: 'tabletteAAAA', role: DeviceRole.Practitioner, until: null, framedAnswers: false })
    expect(await decideUpgrade({ url, headers: offer(REVOKED_CREDENTIAL) }, deps)).toMatchObject({ ok: false, status: 401, reason: 'revoked' })
    expect(await decideUpgrade({ url, headers: offer(CREDENTIAL) }, deps)).toMatchObject({ ok: false, status: 401, reason: 'credential' })
  })

  it('names a secretary’s role, and refuses a locum from its end date on (the relay’s clock), not the day before', async () => {
    const offer = (credential: string) => ({ ...good, 'sec-websocket-protocol': `tournee.1, tournee-auth.${credential}` })
    const url = `/v1/sync/${REGISTERED_SPACE}/${ROOM}`
    expect(await decideUpgrade({ url, headers: offer(SECRETARY_CREDENTIAL) }, deps)).toMatchObject({ ok: true, role: DeviceRole.Secretariat })
    today = LOCUM_UNTIL - 1
    expect(await decideUpgrade({ url, headers: offer(LOCUM_CREDENTIAL) }, deps)).toMatchObject({ ok: true, role: DeviceRole.Locum, deviceId: 'remplaDDDDDD' })
    today = LOCUM_UNTIL
    expect(await decideUpgrade({ url, headers: offer(LOCUM_CREDENTIAL) }, deps)).toMatchObject({ ok: false, status: 401, reason: 'ended' })
    today = LOCUM_UNTIL + 365 * 86_400_000
    expect(await decideUpgrade({ url, headers: offer(LOCUM_CREDENTIAL) }, deps)).toMatchObject({ ok: false, status: 401, reason: 'ended' })
    today = LOCUM_UNTIL - 86_400_000
  })

  it('lets a secretary’s role open practice rooms and no clinical room; every other role opens both', () => {
    const clinical = `${CLINICAL_ROOM_ID_PREFIX}${ROOM.slice(1)}`
    const practice = `${PRACTICE_ROOM_ID_PREFIX}${ROOM.slice(1)}`
    expect(mayOpenRoom(DeviceRole.Secretariat, practice)).toBe(true)
    expect(mayOpenRoom(DeviceRole.Secretariat, clinical)).toBe(false)
    for (const role of [DeviceRole.Practitioner, DeviceRole.Locum]) {
      expect(mayOpenRoom(role, practice)).toBe(true)
      expect(mayOpenRoom(role, clinical)).toBe(true)
    }
  })

  it.each([
    ['not a sync path', '/v1/other/' + SPACE, good, 404, 'path'],
    ['a malformed space id', `/v1/sync/short/${ROOM}`, good, 404, 'path'],
    ['a space without a room', `/v1/sync/${SPACE}`, good, 404, 'path'],
    ['a malformed room segment', `/v1/sync/${SPACE}/more`, good, 404, 'path'],
    ['a room segment with a slash', `/v1/sync/${SPACE}/${ROOM}/x`, good, 404, 'path'],
    ['an empty room segment', `/v1/sync/${SPACE}/`, good, 404, 'path'],
    ['a room of an unknown space', `/v1/sync/ZZZZZZZZZZZZZZZZZZZZZZ/${ROOM}`, good, 404, 'unknown_space'],
    ['a wrong credential on a room path', `/v1/sync/${SPACE}/${ROOM}`, { ...good, 'sec-websocket-protocol': `tournee.1, tournee-auth.${OTHER_CREDENTIAL}` }, 401, 'credential'],
    ['no credential on a room path', `/v1/sync/${SPACE}/${ROOM}`, { ...good, 'sec-websocket-protocol': 'tournee.1' }, 401, 'credential'],
    ['no url', undefined, good, 404, 'path'],
    ['no protocol version', `/v1/sync/${SPACE}/${ROOM}`, { ...good, 'sec-websocket-protocol': `tournee-auth.${CREDENTIAL}` }, 426, 'protocol'],
    ['a foreign origin', `/v1/sync/${SPACE}/${ROOM}`, { ...good, origin: 'https://evil.example' }, 403, 'origin'],
  ])('refuses %s', async (_label, url, headers, status, reason) => {
    const decision = await decideUpgrade({ url, headers }, deps)
    expect(decision).toMatchObject({ ok: false, status, reason })
  })

  it('extracts space and room only from exact sync paths', () => {
    expect(roomFromSyncPath(`/v1/sync/${SPACE}`)).toBeNull()
    expect(roomFromSyncPath(`/v1/sync/`)).toBeNull()
    expect(roomFromSyncPath(`/v1/sync/${SPACE}/${ROOM}?credential=x`)).toEqual({ spaceId: SPACE, roomId: ROOM })
    expect(roomFromSyncPath(`/v1/sync/${SPACE}/../${ROOM}`)).toBeNull()
  })
})
