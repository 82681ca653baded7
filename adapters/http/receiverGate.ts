import type { IncomingMessage, ServerResponse } from "node:http"
import { Effect } from "effect"
import { cacheRefreshRefusal } from "../../application/webhooks/receiveWebhook.ts"
import { makeCacheRefreshDoor, noSuchWebhook, webhookMaxBodyBytes } from "./cacheRefreshReceiver.ts"
import { errorBody } from "./envelope.ts"
import { replyJson } from "./nodeReply.ts"
import { ReceiverLimits, tooManyDeliveriesAnswer } from "./rateLimit.ts"
import { nodeRequestId } from "./requestId.ts"

/**
 * Answers a request itself (true), or leaves it to the application (false).
 * `expectsContinue`: the client sent `Expect: 100-continue` and waits for the go-ahead
 * before its body (node:http's `checkContinue`).
 */
export type ReceiverGate = (
  request: IncomingMessage,
  response: ServerResponse,
  expectsContinue: boolean
) => boolean

const cacheRefreshPrefix = "/api/webhooks/cache-refresh/"
export const sitePublishPath = /^\/api\/tenants\/([^/]+)\/webhook$/

/**
 * The public receivers' front door, in front of the Effect application: they are open to
 * the internet, so what can be refused from memory is refused here, in microseconds,
 * before a fiber, a router or a body read. In order: the per-client and per-webhook rate
 * limits (429 with Retry-After), a declared body over 64 KiB (413), and a cache-refresh
 * delivery this node already knows to be a 404 (unknown id, disabled webhook, wrong
 * secret; see `cacheRefreshRefusal`). A cache-refresh delivery it does not refuse is
 * served right here too, by the receiver's node:http door (`makeCacheRefreshDoor`); the
 * site-publish receiver, and a cache-refresh URL with percent-escapes (which the router
 * decodes), go on to the Effect application. Every answer matches that application's to
 * the byte.
 */
export const makeReceiverGate = Effect.gen(function* () {
  const limits = yield* ReceiverLimits
  const refused = yield* cacheRefreshRefusal
  const cacheRefresh = yield* makeCacheRefreshDoor

  const gate: ReceiverGate = (request, response, expectsContinue) => {
    if (request.method !== "POST") return false
    const url = request.url ?? ""
    const query = url.indexOf("?")
    const path = query === -1 ? url : url.slice(0, query)
    let limitKey: string
    let delivery: { readonly webhookId: string; readonly secret: string } | undefined
    if (path.startsWith(cacheRefreshPrefix)) {
      const parts = path.slice(cacheRefreshPrefix.length).split("/")
      // Another shape, or characters the router reads differently (it decodes escapes and
      // ends the path at ";" or "#"): the application answers, under the same limits.
      if (parts.length !== 2 || /[%;#]/.test(path)) return false
      delivery = { webhookId: parts[0]!, secret: parts[1]! }
      limitKey = delivery.webhookId
    } else {
      const site = sitePublishPath.exec(path)
      if (site === null) return false
      limitKey = `site-publish:${site[1]}`
    }

    const wait = limits.take(request, request.socket.remoteAddress ?? "unknown", limitKey)
    if (wait > 0) {
      const limited = tooManyDeliveriesAnswer(wait)
      replyJson(response, nodeRequestId(request), 429, limited.body, limited.headers)
      return true
    }
    const declared = request.headers["content-length"]
    if (declared !== undefined && Number(declared) > webhookMaxBodyBytes) {
      replyJson(response, nodeRequestId(request), 413, errorBody(413, { maxBytes: webhookMaxBodyBytes }))
      return true
    }
    if (delivery === undefined) return false
    if (refused(delivery.webhookId, delivery.secret)) {
      replyJson(response, nodeRequestId(request), 404, errorBody(404, { message: noSuchWebhook }))
      return true
    }
    cacheRefresh(request, response, delivery, expectsContinue)
    return true
  }
  return gate
})
