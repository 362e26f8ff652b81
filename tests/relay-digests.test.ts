/**
 * Digests across parts: a device of a real practice and a real relay process on loopback. The
 * device seals a JSON naming a patient and publishes it; another device fetches and opens it; the
 * relay's data folder and logs never hold the name; a wrong credential stores nothing; a
 * publication replaces only the digest it read (412 otherwise, 428 without saying), whatever the
 * weights; a page of an allowed origin may send the weight and preconditions and read the weight
 * and ETag.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createPractice, getPairingCode } from '../client/src/sync/device/device'
import { RelayError } from '../client/src/sync/errors'
import { RelayClient, type RelayTarget } from '../client/src/sync/relay/relay-client'
import { randomId } from '../shared/src/crypto/base64url'
import { DigestIntegrityError, decryptDigest, deriveDigestKey, encryptDigest } from '../shared/src/digest/digest-cipher'
import { DIGEST_WEIGHT_HEADER } from '../shared/src/protocol/constants'
import { decodePairingCode } from '../shared/src/space/pairing-code'
import { useRelayFixture } from './helpers/relay-fixture'
import { nodeDeviceEnvironment } from './helpers/node-device'

const ORIGIN = 'https://cabinet-quenouillere.example.fr'
const fixture = useRelayFixture({ env: { TOURNEE_ALLOWED_ORIGINS: ORIGIN } })
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const PATIENT = { id: 'p1', birthName: 'Zéphyrinovska', firstNames: 'Odalrique', phone: '06 12 34 56 78' }

function dataFolderContains(needle: Uint8Array): boolean {
  const dir = fixture.relay.dataDir
  return readdirSync(dir).some((name) => readFileSync(join(dir, name)).includes(Buffer.from(needle)))
}

describe('directory digests through a real relay', () => {
  let target: RelayTarget
  let relay: RelayClient
  let rootSecret: Uint8Array
  let blob: Uint8Array
  const weight = 1_234
  const plain = encoder.encode(JSON.stringify({ format: 1, patients: [PATIENT] }))

  it('a device publishes a sealed digest; it is fetched and opened with only what the pairing code holds', async () => {
    const env = nodeDeviceEnvironment('tablette')
    const a = await fixture.track(
      createPractice(
        { relayUrl: fixture.relay.url, practiceName: 'Cabinet Quenouillère', practitioner: { displayName: 'Inès', profession: 'kine' } },
        env,
      ),
    )
    const pairing = decodePairingCode(await getPairingCode(a.record.spaceId, env))
    // The digests are the practice tier's (shared/src/crypto/space-keys.ts).
    rootSecret = pairing.tiers.practice
    target = { relayUrl: fixture.relay.url, spaceId: pairing.spaceId, credential: pairing.credential }
    relay = new RelayClient(target)
    expect(await relay.headDigest('directory')).toBeNull()
    expect(await relay.getDigest('directory')).toBeNull()

    blob = await encryptDigest(await deriveDigestKey(target.spaceId, rootSecret), target.spaceId, 'directory', weight, plain)
    expect(await relay.putDigest('directory', weight, blob, { kind: 'absent' })).toMatchObject({ status: 'created' })

    // The other device: only what the pairing code gave it.
    const fetched = await new RelayClient({ ...target }).getDigest('directory')
    expect(fetched?.weight).toBe(weight)
    const key = await deriveDigestKey(target.spaceId, rootSecret)
    const opened = JSON.parse(decoder.decode(await decryptDigest(key, target.spaceId, 'directory', fetched!.weight, fetched!.blob)))
    expect(opened.patients[0]).toEqual(PATIENT)
    expect(await relay.headDigest('directory')).toEqual({ weight, etag: fetched!.etag })
  })

  it("the relay's data folder holds the ciphertext, never the patient's name or phone; its logs neither", async () => {
    // Positive control: the search finds what is there.
    expect(dataFolderContains(blob.subarray(20, 60))).toBe(true)
    expect(dataFolderContains(encoder.encode('Zéphyrinovska'))).toBe(false)
    expect(dataFolderContains(encoder.encode('Odalrique'))).toBe(false)
    expect(dataFolderContains(encoder.encode('06 12 34 56 78'))).toBe(false)
    const logs = fixture.relay.logs.join('\n')
    expect(logs).toContain('"event":"digest_stored"')
    expect(logs).not.toContain('Odalrique')
    expect(logs).not.toContain(target.credential)
  })

  it('refuses a wrong credential with 401 and stores nothing', async () => {
    const wrong = new RelayClient({ ...target, credential: randomId(32) })
    const intruder = encoder.encode('INTRUDER-DIGEST-'.repeat(8))
    const read = await relay.headDigest('directory')
    const error = await wrong.putDigest('directory', weight + 1_000, intruder, { kind: 'etag', etag: read!.etag }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RelayError)
    expect((error as RelayError).status).toBe(401)
    expect(await relay.getDigest('directory')).toEqual({ weight, etag: read!.etag, blob })
    expect(dataFolderContains(intruder)).toBe(false)
  })

  it('replaces only the digest the publisher read (412 otherwise, 428 without a precondition), whatever the weights', async () => {
    const key = await deriveDigestKey(target.spaceId, rootSecret)
    const read = (await relay.headDigest('directory'))!
    const url = `${fixture.relay.url}/v1/spaces/${target.spaceId}/digests/directory`
    const lighter = await encryptDigest(key, target.spaceId, 'directory', weight - 1, encoder.encode('{"patients":[]}'))
    const blind = await fetch(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${target.credential}`, [DIGEST_WEIGHT_HEADER]: String(weight - 1) },
      body: lighter.slice().buffer,
    })
    expect(blind.status).toBe(428)
    expect(await blind.json()).toMatchObject({ field: 'if-match' })
    const unseen = await fetch(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${target.credential}`, [DIGEST_WEIGHT_HEADER]: String(weight - 1), 'if-none-match': '*' },
      body: lighter.slice().buffer,
    })
    expect(unseen.status).toBe(412)
    // What is stored, so that the device looks at it before deciding again.
    expect(unseen.headers.get('etag')).toBe(read.etag)
    expect(unseen.headers.get(DIGEST_WEIGHT_HEADER)).toBe(String(weight))
    expect(await relay.getDigest('directory')).toEqual({ weight, etag: read.etag, blob })

    // The relay no longer keeps "the heaviest": a lighter digest replaces the one it was published over.
    expect(await relay.putDigest('directory', weight - 1, lighter, { kind: 'etag', etag: read.etag })).toMatchObject({ status: 'replaced' })
    const newer = await encryptDigest(key, target.spaceId, 'directory', weight + 1, plain)
    // Published over what was read before the replacement: another publication came first.
    expect(await relay.putDigest('directory', weight + 1, newer, { kind: 'etag', etag: read.etag })).toEqual({ status: 'stale' })
    const lighterRead = (await relay.headDigest('directory'))!
    expect(lighterRead.weight).toBe(weight - 1)
    expect(await relay.putDigest('directory', weight + 1, newer, { kind: 'etag', etag: lighterRead.etag })).toMatchObject({ status: 'replaced' })
    expect(await relay.getDigest('directory')).toMatchObject({ weight: weight + 1, blob: newer })
  })

  it('a blob served under another weight does not open on the device', async () => {
    const fetched = await relay.getDigest('directory')
    const key = await deriveDigestKey(target.spaceId, rootSecret)
    await expect(decryptDigest(key, target.spaceId, 'directory', fetched!.weight + 5, fetched!.blob)).rejects.toBeInstanceOf(
      DigestIntegrityError,
    )
  })

  it('lets a page of an allowed origin send the weight and precondition headers and read the weight and ETag back; other origins get no CORS grant', async () => {
    const url = `${fixture.relay.url}/v1/spaces/${target.spaceId}/digests/directory`
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': `authorization,content-type,${DIGEST_WEIGHT_HEADER},if-match,if-none-match`,
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const allowed = preflight.headers.get('access-control-allow-headers')?.toLowerCase()
    for (const header of [DIGEST_WEIGHT_HEADER, 'if-match', 'if-none-match']) expect(allowed).toContain(header)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT')
    const head = await fetch(url, { method: 'HEAD', headers: { origin: ORIGIN, authorization: `Bearer ${target.credential}` } })
    expect(head.status).toBe(200)
    expect(head.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const exposed = head.headers.get('access-control-expose-headers')?.toLowerCase()
    for (const header of [DIGEST_WEIGHT_HEADER, 'etag']) expect(exposed).toContain(header)
    expect(head.headers.get(DIGEST_WEIGHT_HEADER)).toBe(String(weight + 1))
    const foreign = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://ailleurs.example', 'access-control-request-method': 'PUT' },
    })
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
  })
})
