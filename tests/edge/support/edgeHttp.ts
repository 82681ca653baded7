import { request as httpRequest, type IncomingHttpHeaders } from "node:http"

export interface EdgeReply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly json: () => Record<string, unknown>
}

/**
 * One request to an edge with the Host we choose (fetch cannot set Host) and the raw
 * path we choose (fetch would normalise `..` away).
 */
export const edgeRequest = (
  baseUrl: string,
  options: {
    readonly host: string
    readonly path?: string
    readonly method?: string
    readonly headers?: Record<string, string>
    readonly body?: string
  }
): Promise<EdgeReply> =>
  new Promise((resolve, reject) => {
    const base = new URL(baseUrl)
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        headers: { ...options.headers, host: options.host },
        agent: false
      },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8")
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body) as Record<string, unknown>
          })
        })
        res.on("error", reject)
      }
    )
    req.on("error", reject)
    req.end(options.body)
  })

/**
 * A GET through the edge read chunk by chunk: `onText` sees the body so far after each
 * chunk; answers the body and whether it ended (`end`) or was cut off (`close` without it).
 */
export const edgeStream = (
  baseUrl: string,
  options: { readonly host: string; readonly path: string; readonly onText?: (body: string) => void }
): Promise<{ readonly body: string; readonly ended: boolean }> =>
  new Promise((resolve, reject) => {
    const base = new URL(baseUrl)
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        path: options.path,
        headers: { host: options.host },
        agent: false
      },
      (res) => {
        let body = ""
        let ended = false
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString("utf8")
          options.onText?.(body)
        })
        res.on("end", () => {
          ended = true
        })
        res.on("error", () => undefined)
        res.on("close", () => resolve({ body, ended }))
      }
    )
    req.on("error", reject)
    req.end()
  })
