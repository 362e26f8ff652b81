import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../i18n'
import { initialSyncState } from '../../sync/sync-state'
import type { SyncState } from '../../sync/sync-state'
import { describeSyncState } from './sync-status-text'

const fr = createTranslator('fr', 'Europe/Paris')
const state = (patch: Partial<SyncState>): SyncState => ({ ...initialSyncState, ...patch })

describe('sync indicator text', () => {
  it('says each connection state in French', () => {
    expect(describeSyncState(state({ status: 'online' }), fr).connection).toBe('En ligne')
    expect(describeSyncState(state({ status: 'offline' }), fr).connection).toBe('Hors ligne')
    expect(describeSyncState(state({ status: 'syncing' }), fr).connection).toBe('Synchronisation…')
    expect(describeSyncState(state({ status: 'connecting' }), fr).connection).toBe('Connexion…')
    expect(describeSyncState(state({ status: 'refused', refusal: 'unauthorized' }), fr).connection).toBe(
      'Refusé par le relais : accès inconnu ou révoqué',
    )
  })

  it('says why the relay refused the device, for every reason it gives', () => {
    const refused = (refusal: SyncState['refusal']) => describeSyncState(state({ status: 'refused', refusal }), fr).connection
    expect(refused('space-not-found')).toBe('Refusé par le relais : cabinet inconnu de ce relais')
    expect(refused('forbidden')).toBe('Refusé par le relais : application non autorisée')
    expect(refused('protocol-mismatch')).toBe("Refusé par le relais : version incompatible, mettez l'application à jour")
  })

  it('says a role refusal (4403) as « réservé aux praticiens », not as a refusal of the relay', () => {
    const text = describeSyncState(state({ status: 'refused', refusal: 'role-forbidden' }), fr).connection
    expect(text).toBe('Dossiers cliniques : réservé aux praticiens')
    expect(text).not.toMatch(/Refusé/)
  })

  it('counts pending changes and gives the time of the last exchange in Paris', () => {
    const text = describeSyncState(
      state({ status: 'online', pendingChanges: 2, lastExchangeAt: Date.UTC(2026, 10, 23, 13, 32) }),
      fr,
    )
    expect(text.pending).toBe('2 modifications en attente')
    expect(text.lastExchange).toBe('Dernier échange : 14 h 32')
    expect(text.undecryptable).toBeNull()
  })

  it('says when nothing was ever exchanged, and reports unreadable entries', () => {
    const text = describeSyncState(state({ undecryptableEntries: 1 }), fr)
    expect(text.pending).toBe('0 modification en attente')
    expect(text.lastExchange).toBe('Aucun échange avec le relais')
    expect(text.undecryptable).toBe('1 donnée illisible ignorée')
    expect(text.digests).toBeNull()
    expect(text.progress).toBeNull()
    expect(text.restoring).toBeNull()
  })

  it('says which unreadable entries wait for a device holding them, and clears once they are repaired', () => {
    expect(describeSyncState(state({ undecryptableEntries: 1, unrepairedEntries: 1 }), fr).undecryptable).toBe(
      "1 entrée illisible sur le relais : en attente d'un appareil qui la détient",
    )
    expect(describeSyncState(state({ undecryptableEntries: 2, unrepairedEntries: 2, heldBackChanges: 3 }), fr).undecryptable).toBe(
      "2 entrées illisibles sur le relais : en attente d'un appareil qui les détient (3 modifications suivantes retenues)",
    )
    expect(describeSyncState(state({ undecryptableEntries: 1, repairedEntries: 1 }), fr).undecryptable).toBeNull()
    expect(describeSyncState(state({ undecryptableEntries: 3, repairedEntries: 1 }), fr).undecryptable).toBe('2 données illisibles ignorées')
  })

  it('says when changes of this device had been replaced on the relay and were sent again', () => {
    expect(describeSyncState(state({}), fr).resent).toBeNull()
    expect(describeSyncState(state({ resentEntries: 1 }), fr).resent).toBe('1 modification de cet appareil avait été remplacée sur le relais : renvoyée')
    expect(describeSyncState(state({ resentEntries: 3 }), fr).resent).toBe('3 modifications de cet appareil avaient été remplacées sur le relais : renvoyées')
  })

  it('says what the relay had lost (restored from a backup) and this device sent back', () => {
    expect(describeSyncState(state({}), fr).returned).toBeNull()
    expect(describeSyncState(state({ returnedEntries: 1 }), fr).returned).toBe('1 modification perdue par le relais : renvoyée depuis cet appareil')
    expect(describeSyncState(state({ returnedEntries: 4 }), fr).returned).toBe('4 modifications perdues par le relais : renvoyées depuis cet appareil')
  })

  it('says when deletions no readable snapshot covered were refused and their entries written back', () => {
    expect(describeSyncState(state({ restoredEntries: 1 }), fr).restored).toBe('1 entrée supprimée sans instantané couvrant : rétablie')
    expect(describeSyncState(state({ restoredEntries: 5 }), fr).restored).toBe('5 entrées supprimées sans instantané couvrant : rétablies')
    expect(describeSyncState(state({ heldRestoredDocs: 0 }), fr).heldRestored).toBeNull()
    expect(describeSyncState(state({ heldRestoredDocs: 2 }), fr).heldRestored).toBe('2 documents perdus sur le relais rétablis depuis cet appareil')
    expect(describeSyncState(state({ heldFailingDocs: 0 }), fr).heldFailing).toBeNull()
    expect(describeSyncState(state({ heldFailingDocs: 1 }), fr).heldFailing).toBe('copie de secours de 1 document impossible sur cet appareil (stockage plein ou refusé)')
    expect(describeSyncState(state({}), fr).restored).toBeNull()
  })

  it("says, per device, how many of its changes are known to exist and missing on the relay", () => {
    expect(describeSyncState(state({ missingEntries: [{ writer: 'k3J9xQ7aBcDe', missing: 1 }] }), fr).missing).toBe("1 modification de l'appareil k3J9xQ… manque sur le relais")
    expect(
      describeSyncState(state({ missingEntries: [{ writer: 'k3J9xQ7aBcDe', missing: 2 }, { writer: 'Zp0v1s2t3u4w', missing: 1 }] }), fr).missing,
    ).toBe("2 modifications de l'appareil k3J9xQ… manquent sur le relais · 1 modification de l'appareil Zp0v1s… manque sur le relais")
    expect(describeSyncState(state({}), fr).missing).toBeNull()
  })

  it('says when a digest of the relay did not open here, and once this device replaced it', () => {
    expect(describeSyncState(state({ unreadableDigests: 1 }), fr).digests).toBe('1 aperçu illisible sur le relais, ignoré')
    expect(describeSyncState(state({ unreadableDigests: 2, replacedDigests: 1 }), fr).digests).toBe('1 aperçu illisible sur le relais, ignoré')
    expect(describeSyncState(state({ unreadableDigests: 2, replacedDigests: 2 }), fr).digests).toBe('2 aperçus illisibles sur le relais, remplacés')
    expect(describeSyncState(state({}), fr).digests).toBeNull()
  })

  it('counts what a large exchange has left to receive and send, only while syncing', () => {
    const syncing = state({ status: 'syncing', incoming: 1234, outgoing: 500 })
    expect(describeSyncState(syncing, fr).progress).toBe('Synchronisation : 1 234 modifications à recevoir, 500 à envoyer')
    expect(describeSyncState(state({ status: 'syncing', incoming: 1, outgoing: 0 }), fr).progress).toBe(
      'Synchronisation : 1 modification à recevoir, 0 à envoyer',
    )
    expect(describeSyncState({ ...syncing, status: 'online' }, fr).progress).toBeNull()
    expect(describeSyncState(state({ status: 'syncing' }), fr).progress).toBeNull()
  })

  it('says that erased local data is being restored from the relay', () => {
    expect(describeSyncState(state({ restoring: true }), fr).restoring).toBe(
      'Les données locales de cet appareil avaient été effacées : restauration depuis le relais…',
    )
  })
})
