import { Context } from "effect"

/**
 * Checks the proof an edge answers a probe's nonce with (`x-cachely-proof`, CONTRACT.md
 * Edge): the hex HMAC-SHA256 of `{nonce}|{host}` under EDGE_SEAL_KEY, a key only the control
 * plane and its edges hold, so a customer's own server cannot fake being the edge.
 */
export class EdgeProof extends Context.Service<
  EdgeProof,
  {
    /** Whether `proof` is right, compared in constant time; undefined when this server has no seal key. */
    readonly verify: (nonce: string, host: string, proof: string) => boolean | undefined
  }
>()("tenantry/application/ports/EdgeProof") {}
