/** Helpers for the device registry's tests: devices with real key pairs, and chains signed by them. */
import { randomBytes, randomId, toBase64Url } from '../crypto/base64url'
import { makeDeviceIdentity, publicKeysOf, type DeviceIdentity } from './device-identity'
import {
  applyEntry,
  credentialHash,
  DeviceRole,
  emptyRegistry,
  nextStatement,
  signStatement,
  type DeviceFields,
  type RegistryChange,
  type RegistryState,
  type SignedEntry,
} from './registry-chain'

export interface TestDevice {
  id: string
  identity: DeviceIdentity
  fields: DeviceFields
  /** Its public agreement key, as the registry holds it. */
  agree: string
}

/** A device with fresh key pairs and credential, as `role` (a praticien by default). */
export async function testDevice(admin: boolean, role: { role: DeviceRole; until?: number } = { role: DeviceRole.Practitioner }): Promise<TestDevice> {
  const identity = await makeDeviceIdentity()
  const keys = await publicKeysOf(identity)
  const id = randomId(9)
  return { id, identity, agree: keys.agree, fields: { id, ...keys, ...role, admin, credential: await credentialHash(toBase64Url(randomBytes(32))) } }
}

export interface TestChain {
  state: RegistryState
  entries: SignedEntry[]
}

/** The chain of `spaceId` whose first device is `first`. */
export async function genesisOf(spaceId: string, first: TestDevice, at: number): Promise<TestChain> {
  const entry = await signStatement(nextStatement(emptyRegistry(spaceId), first.id, at, { op: 'genesis', device: first.fields }), first.identity.sign.privateKey)
  return { state: await applyEntry(emptyRegistry(spaceId), entry), entries: [entry] }
}

/** `chain` with `change` signed by `signer` (RegistryError when the chain refuses it). */
export async function appendTo(chain: TestChain, signer: TestDevice, change: RegistryChange, at: number): Promise<TestChain> {
  const entry = await signStatement(nextStatement(chain.state, signer.id, at, change), signer.identity.sign.privateKey)
  return { state: await applyEntry(chain.state, entry), entries: [...chain.entries, entry] }
}
