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
