import { createHash } from "node:crypto"
import type { EventMetadata, JsonObject, RecordedEvent } from "../ports/EventStore.ts"

/**
 * The hash chain of each stream (docs/audit.md gives the same rules for outside verifiers):
 *
 *   hash = SHA-256(prevHash bytes ‖ UTF-8 of canonical(body))
 *
 * `prevHash` is the previous event of the same stream's `hash`, 32 zero bytes for a stream's
 * first event. `body` is the stored event: `{ stream, version, tenantId, type, schemaVersion,
 * recordedAt, metadata, data }`, where `data` maps each stored field to the SHA-256 (hex) of
 * its canonical value. Hashing each field on its own lets an export leave out a sealed or
 * secret-like field and give only its digest, and still verify; and the chain covers the
 * sealed bytes as stored, so destroying a tenant's data key (crypto-shredding) keeps it valid.
 *
 * canonical(value): JSON with no whitespace, object keys sorted by code point (UTF-8 byte
 * order), properties whose value is undefined left out (as the stored JSON leaves them out),
 * strings and numbers as `JSON.stringify` writes them. Stored events hold integers only, which
 * every JSON writer spells the same way.
 */
export const zeroHash = "0".repeat(64)

/**
 * Code-point order (which is UTF-8 byte order) without encoding either string: UTF-16 code
 * units already sort so, except that a surrogate (half of a code point above U+FFFF) must
 * sort after the units U+E000–U+FFFF that it precedes numerically.
 */
export const byCodePoint = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    const xSurrogate = x >= 0xd800 && x <= 0xdfff
    const ySurrogate = y >= 0xd800 && y <= 0xdfff
    if (xSurrogate && !ySurrogate && y >= 0xe000) return 1
    if (ySurrogate && !xSurrogate && x >= 0xe000) return -1
    return x - y
  }
  return a.length - b.length
}

export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined && typeof record[key] !== "function")
    .sort(byCodePoint)
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(",")}}`
}

export const sha256Hex = (bytes: string | Uint8Array): string =>
  createHash("sha256").update(bytes).digest("hex")

/** Each stored data field's digest: what the chain covers of `data`. */
export const fieldDigests = (data: JsonObject): Record<string, string> => {
  const digests: Record<string, string> = {}
  for (const key of Object.keys(data)) {
    const value = data[key]
    if (value !== undefined) digests[key] = sha256Hex(canonicalJson(value))
  }
  return digests
}

/** What the chain hashes of one event, before its `prevHash`. */
export interface ChainedFields {
  readonly streamId: string
  readonly streamVersion: number
  readonly tenantId: string
  readonly type: string
  readonly schemaVersion: number
  readonly recordedAt: string
  readonly metadata: EventMetadata
  readonly data: JsonObject
}

/** The canonical body text of one event (its `data` as field digests). */
export const chainBody = (event: ChainedFields, digests: Record<string, string> = fieldDigests(event.data)) =>
  canonicalJson({
    stream: event.streamId,
    version: event.streamVersion,
    tenantId: event.tenantId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    recordedAt: event.recordedAt,
    metadata: event.metadata,
    data: digests
  })

/** The link: SHA-256 of the previous hash's 32 bytes followed by the body's UTF-8 bytes. */
export const chainHash = (prevHash: string, body: string): string =>
  createHash("sha256").update(Buffer.from(prevHash, "hex")).update(body, "utf8").digest("hex")

/** What is wrong with one event given the previous one of its stream (undefined: it holds). */
export const brokenLink = (event: RecordedEvent, previous: RecordedEvent | undefined): string | undefined => {
  const expectedVersion = (previous?.streamVersion ?? 0) + 1
  if (event.streamVersion !== expectedVersion) {
    return `stream ${event.streamId} jumps from version ${expectedVersion - 1} to ${event.streamVersion}`
  }
  if (previous !== undefined && event.position <= previous.position) {
    return `stream ${event.streamId} version ${event.streamVersion} has an id below its predecessor's`
  }
  const prevHash = previous?.hash ?? zeroHash
  if (event.prevHash !== prevHash) return `prevHash is not the hash of the stream's previous event`
  if (event.hash !== chainHash(prevHash, chainBody(event))) return `hash does not match the event's content`
  return undefined
}
