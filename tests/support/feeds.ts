import type { TestServer } from "./testServer.ts"

/** One message of an audit feed as it arrived: an event, a heartbeat, or the last `end`. */
export type FeedMessage =
  | { readonly kind: "event"; readonly id: number; readonly event: Record<string, unknown> & { id: number } }
  | { readonly kind: "heartbeat" }
  | { readonly kind: "end"; readonly end: { readonly reason: string; readonly after: number } }

export interface OpenFeed {
  readonly status: number
  readonly headers: Headers
  /** The body of a refused request (JSON envelope). */
  readonly error: unknown
  readonly messages: Array<FeedMessage>
  /** Resolves once `predicate` holds over the messages so far (rejects after `timeoutMillis`). */
  readonly until: (
    predicate: (messages: ReadonlyArray<FeedMessage>) => boolean,
    timeoutMillis?: number
  ) => Promise<void>
  /** Resolves when the server ends the response. */
  readonly ended: Promise<void>
  readonly close: () => void
}

export const events = (messages: ReadonlyArray<FeedMessage>) =>
  messages.flatMap((message) => (message.kind === "event" ? [message.event] : []))

/** SSE blocks (`id:`/`event:`/`data:` lines, comments) or NDJSON lines, parsed as they arrive. */
const parser = (format: "sse" | "ndjson", push: (message: FeedMessage) => void) => {
  let buffer = ""
  return (text: string) => {
    buffer += text
    if (format === "ndjson") {
      let newline = buffer.indexOf("\n")
      while (newline !== -1) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        if (line === "") push({ kind: "heartbeat" })
        else {
          const parsed = JSON.parse(line)
          push(
            parsed.end === undefined
              ? { kind: "event", id: parsed.id, event: parsed }
              : { kind: "end", end: parsed.end }
          )
        }
        newline = buffer.indexOf("\n")
      }
      return
    }
    let split = buffer.indexOf("\n\n")
    while (split !== -1) {
      const block = buffer.slice(0, split)
      buffer = buffer.slice(split + 2)
      const fields = new Map<string, string>()
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) fields.set("comment", line)
        else {
          const colon = line.indexOf(": ")
          fields.set(line.slice(0, colon), line.slice(colon + 2))
        }
      }
      if (fields.get("event") === "audit") {
        const event = JSON.parse(fields.get("data")!)
        if (String(event.id) !== fields.get("id"))
          throw new Error(`SSE id ${fields.get("id")} for event ${event.id}`)
        push({ kind: "event", id: event.id, event })
      } else if (fields.get("event") === "end") push({ kind: "end", end: JSON.parse(fields.get("data")!) })
      else if (fields.has("comment")) push({ kind: "heartbeat" })
      split = buffer.indexOf("\n\n")
    }
  }
}

/** Opens a feed with fetch and reads it in the background. */
export const openFeed = async (
  server: TestServer,
  path: string,
  options: {
    readonly token?: string | undefined
    readonly format?: "sse" | "ndjson"
    readonly headers?: Record<string, string>
  } = {}
): Promise<OpenFeed> => {
  const format = options.format ?? "sse"
  const abort = new AbortController()
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (format === "ndjson") headers.accept = "application/x-ndjson"
  const response = await fetch(`${server.baseUrl}${path}`, { headers, signal: abort.signal })
  const messages: Array<FeedMessage> = []
  const waiters = new Set<() => void>()
  const push = (message: FeedMessage) => {
    messages.push(message)
    for (const waiter of waiters) waiter()
  }
  const isStream = response.ok && response.body !== null
  const error = isStream ? undefined : await response.json().catch(() => undefined)
  const ended = isStream
    ? (async () => {
        const decoder = new TextDecoder()
        const parse = parser(format, push)
        try {
          for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
            parse(decoder.decode(chunk, { stream: true }))
          }
        } catch (cause) {
          if (!abort.signal.aborted) throw cause
        }
      })()
    : Promise.resolve()
  ended.catch(() => undefined)
  const until = (predicate: (messages: ReadonlyArray<FeedMessage>) => boolean, timeoutMillis = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (predicate(messages)) return resolve()
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(
          new Error(`feed ${path}: condition not met in ${timeoutMillis} ms (${messages.length} messages)`)
        )
      }, timeoutMillis)
      const check = () => {
        if (!predicate(messages)) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve()
      }
      waiters.add(check)
    })
  return {
    status: response.status,
    headers: response.headers,
    error,
    messages,
    until,
    ended,
    close: () => abort.abort()
  }
}
