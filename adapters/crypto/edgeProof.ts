import { createHmac, timingSafeEqual } from "node:crypto"
import { Effect, Layer } from "effect"
import { EdgeProof } from "../../application/ports/EdgeProof.ts"
import { type EdgeKeyOptions, loadEdgeSealKey } from "../runtime/edgeKeys.ts"

/** The edge's proof of a nonce: hex HMAC-SHA256 of `{nonce}|{host}` under the seal key. */
export const edgeProofOf = (key: Uint8Array, nonce: string, host: string): string =>
  createHmac("sha256", key).update(`${nonce}|${host}`, "utf8").digest("hex")

export const make = (key: Uint8Array | undefined) =>
  EdgeProof.of({
    verify: (nonce, host, proof) => {
      if (key === undefined) return undefined
      const expected = Buffer.from(edgeProofOf(key, nonce, host), "utf8")
      const given = Buffer.from(proof.trim().toLowerCase(), "utf8")
      return given.length === expected.length && timingSafeEqual(given, expected)
    }
  })

/** The proof checker under EDGE_SEAL_KEY (or, in development, the key generated into DATA_DIR). */
export const layer = (options: EdgeKeyOptions) =>
  Layer.effect(EdgeProof, Effect.map(loadEdgeSealKey(options), make))
