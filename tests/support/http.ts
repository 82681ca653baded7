import { connect } from "node:net"
import { expect } from "vitest"
import type { TestServer } from "./testServer.ts"

export interface Reply {
  readonly status: number
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read field by field in assertions
  readonly body: any
}

/** A JSON request against a test server, as `token`'s user (or anonymously). */
export const request = async (
  server: TestServer,
  method: string,
  path: string,
  options: { readonly token?: string | undefined; readonly body?: unknown } = {}
): Promise<Reply> => {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

/** The status of a GET whose answer may never end (an audit feed): the connection is dropped once it is known. */
export const streamStatus = async (server: TestServer, path: string, token: string | undefined) => {
  const abort = new AbortController()
  const response = await fetch(`${server.baseUrl}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: abort.signal
  })
  abort.abort()
  await response.body?.cancel().catch(() => undefined)
  return response.status
}

let counter = 0
/** A slug no other test of this process uses. */
export const uniqueSlug = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`

/** A new generic tenant owned by `owner`'s user (the create must answer 201): its slug. */
export const createGenericTenant = async (server: TestServer, owner: string, prefix = "tenant") => {
  const slug = uniqueSlug(prefix)
  const created = await request(server, "POST", "/api/tenants", {
    token: owner,
    body: { slug, cms: "generic", apiOrigin: "https://api.example.com" }
  })
  expect(created.status).toBe(201)
  return slug
}

/**
 * Sends `bytes` as they are over a raw socket, for requests no HTTP client would send,
 * and reads the answer until the server closes the connection: its status, headers
 * (lower-cased names) and body text.
 */
export const rawExchange = (server: TestServer, bytes: string) =>
  new Promise<{ status: number; headers: Record<string, string>; body: string }>((resolve, reject) => {
    const url = new URL(server.baseUrl)
    const socket = connect(Number(url.port), url.hostname)
    const chunks: Array<Buffer> = []
    socket.on("data", (data: Buffer) => chunks.push(data))
    socket.on("error", reject)
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      const split = text.indexOf("\r\n\r\n")
      const [statusLine = "", ...lines] = text.slice(0, split === -1 ? text.length : split).split("\r\n")
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(":")
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0),
        headers,
        body: split === -1 ? "" : text.slice(split + 4)
      })
    })
    socket.write(bytes)
  })
