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
