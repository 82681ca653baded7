import { Context, Deferred, Duration, Effect, Layer, Stream } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import { errorResponse } from "./envelope.ts"

export interface AuditStreamSettings {
  /** A comment (SSE) or an empty line (NDJSON) at least this often: proxies keep the connection. */
  readonly heartbeatMillis: number
  /** Open feed connections one user may hold on this node; one more is 429. */
  readonly streamsPerUser: number
}

export const defaultAuditStreamSettings: AuditStreamSettings = { heartbeatMillis: 10_000, streamsPerUser: 5 }

/**
 * The audit feeds' connections on this node: how many each user holds (a `Map`, keyed by user
 * id), and the signal that ends them all when the server shuts down (`endAll`, run by
 * `serve` before the HTTP server stops taking requests and waits for those in flight), so that
 * every consumer gets a last message saying where to resume instead of a cut connection.
 */
export class AuditStreams extends Context.Service<
  AuditStreams,
  {
    readonly settings: AuditStreamSettings
    /** Takes one of the user's stream slots: its release, or undefined when they hold them all. */
    readonly reserve: (userId: string) => Effect.Effect<Effect.Effect<void> | undefined>
    readonly closing: Effect.Effect<void>
    readonly endAll: Effect.Effect<void>
  }
>()("tenantry/adapters/http/AuditStreams") {
  static readonly layer = (settings: AuditStreamSettings = defaultAuditStreamSettings) =>
    Layer.effect(
      AuditStreams,
      Effect.gen(function* () {
        const open = new Map<string, number>()
        const closing = yield* Deferred.make<void>()
        const reserve = (userId: string) =>
          Effect.sync(() => {
            const held = open.get(userId) ?? 0
            if (held >= settings.streamsPerUser) return undefined
            open.set(userId, held + 1)
            let released = false
            return Effect.sync(() => {
              if (released) return
              released = true
              const now = (open.get(userId) ?? 1) - 1
              if (now <= 0) open.delete(userId)
              else open.set(userId, now)
            })
          })
        return AuditStreams.of({
          settings,
          reserve,
          closing: Deferred.await(closing),
          endAll: Deferred.succeed(closing, undefined).pipe(Effect.asVoid)
        })
      })
    )
}

/** The wire formats: Server-Sent Events unless the client asks for NDJSON. */
type Format = "sse" | "ndjson"

const formatOf = (request: HttpServerRequest.HttpServerRequest): Format =>
  (request.headers.accept ?? "").toLowerCase().includes("application/x-ndjson") ? "ndjson" : "sse"

const eventLines = (format: Format, entries: ReadonlyArray<{ readonly id: number }>) =>
  format === "sse"
    ? entries.map((entry) => `id: ${entry.id}\nevent: audit\ndata: ${JSON.stringify(entry)}\n\n`).join("")
    : entries.map((entry) => `${JSON.stringify(entry)}\n`).join("")

const heartbeat = (format: Format) => (format === "sse" ? ": heartbeat\n\n" : "\n")

const endLine = (format: Format, reason: string, after: number) => {
  const end = { reason, after }
  return format === "sse" ? `event: end\ndata: ${JSON.stringify(end)}\n\n` : `${JSON.stringify({ end })}\n`
}

/**
 * Where a client resumes: `Last-Event-ID` (what an EventSource sends when it reconnects to
 * the same URL) over the `after` query parameter. Invalid: the field's problem.
 */
export const resumePoint = (
  request: HttpServerRequest.HttpServerRequest,
  after: number | undefined
): { readonly after: number | undefined } | { readonly problem: Record<string, ReadonlyArray<string>> } => {
  const header = request.headers["last-event-id"]
  if (header === undefined || header.trim() === "") return { after }
  const value = header.trim()
  if (!/^\d{1,15}$/.test(value))
    return { problem: { "Last-Event-ID": ["must be an event id (an integer ≥ 0)"] } }
  return { after: Number(value) }
}

/**
 * The response of one feed: the stream's batches in the client's format, a heartbeat at
 * least every `heartbeatMillis`, one stream slot of the user held until it ends; at server
 * shutdown a last `end` message (SSE `event: end`, NDJSON `{"end":…}`) with the id to
 * resume after. Written as the client reads: node's backpressure pauses the pulls, so a slow
 * consumer is paced and nothing piles up here.
 */
export const feedResponse = <Entry extends { readonly id: number }>(options: {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly userId: string
  readonly after: number | undefined
  readonly feed: Stream.Stream<ReadonlyArray<Entry>>
}) =>
  Effect.gen(function* () {
    const streams = yield* AuditStreams
    const release = yield* streams.reserve(options.userId)
    if (release === undefined) {
      return errorResponse(
        429,
        {
          message: `At most ${streams.settings.streamsPerUser} audit streams per user at once; close one first`
        },
        { "retry-after": "5" }
      )
    }
    const format = formatOf(options.request)
    let last = options.after ?? 0
    const events = options.feed.pipe(
      Stream.map((entries) => {
        last = entries.at(-1)?.id ?? last
        return eventLines(format, entries)
      })
    )
    const heartbeats = Stream.tick(Duration.millis(streams.settings.heartbeatMillis)).pipe(
      Stream.map(() => heartbeat(format))
    )
    const body = Stream.merge(events, heartbeats, { haltStrategy: "left" }).pipe(
      Stream.interruptWhen(streams.closing),
      Stream.concat(Stream.suspend(() => Stream.make(endLine(format, "shutdown", last)))),
      Stream.encodeText,
      Stream.ensuring(release)
    )
    return HttpServerResponse.stream(body, {
      contentType: format === "sse" ? "text/event-stream; charset=utf-8" : "application/x-ndjson",
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
    })
  })
