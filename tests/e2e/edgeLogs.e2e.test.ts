import { request as httpRequest } from "node:http"
import { gzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { edgeLogsMaxBodyBytes } from "../../adapters/http/api/logs.ts"
import type { RequestLogRecord } from "../../domain/edge/requestLog.ts"
import type { TenantId } from "../../domain/shared/ids.ts"
import { databaseTargets } from "../support/databases.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { logRecord, tenantIdFor } from "../support/requestLogs.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

const edgeToken = "edge-token-one"
const otherEdgeToken = "edge-token-two"

/** A POST to the ingestion endpoint: any body, any headers. */
const ship = async (server: TestServer, body: string | Uint8Array, headers: Record<string, string> = {}) => {
  const response = await fetch(`${server.baseUrl}/api/edge/logs`, {
    method: "POST",
    headers: { authorization: `Bearer ${edgeToken}`, "content-type": "application/x-ndjson", ...headers },
    body
  })
  const text = await response.text()
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read field by field in assertions
  return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as any }
}

const ndjson = (records: ReadonlyArray<unknown>) => `${records.map((r) => JSON.stringify(r)).join("\n")}\n`

/** A chunked body (no Content-Length): the limit must hold while it streams. */
const shipChunked = (server: TestServer, bytes: number, headers: Record<string, string> = {}) =>
  new Promise<number>((resolve, reject) => {
    const url = new URL(`${server.baseUrl}/api/edge/logs`)
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { authorization: `Bearer ${edgeToken}`, "content-type": "application/x-ndjson", ...headers }
      },
      (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      }
    )
    req.on("error", (error) => (String(error).includes("EPIPE") ? undefined : reject(error)))
    const chunk = Buffer.alloc(64 * 1024, 32)
    let sent = 0
    const pump = () => {
      while (sent < bytes) {
        const size = Math.min(chunk.length, bytes - sent)
        sent += size
        if (!req.write(chunk.subarray(0, size))) return req.once("drain", pump)
      }
      req.end()
    }
    pump()
  })

for (const target of databaseTargets) {
  describe(`POST /api/edge/logs (${target.name})`, () => {
    let server: TestServer
    let owner: string
    let slug: string
    let tenantId: TenantId

    /** What GET …/logs holds for the tenant, newest first. */
    const stored = async () => {
      const page = await request(server, "GET", `/api/tenants/${slug}/logs?limit=200`, { token: owner })
      expect(page.status).toBe(200)
      return page.body.logs as Array<Record<string, unknown>>
    }
    const recordOf = (overrides: Partial<RequestLogRecord> = {}) =>
      logRecord({ tenantId, slug, host: `${slug}.cachely.localhost`, ...overrides })

    beforeAll(async () => {
      server = await startTestServer(target, { EDGE_TOKENS: `${edgeToken}, ${otherEdgeToken}` })
      owner = await server.token("user_edge_logs_owner")
      slug = await createGenericTenant(server, owner, "logs")
      const tenant = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      tenantId = tenant.body.value.tenantId
    })
    afterAll(() => server?.close())

    it("given valid records from an edge, when shipped as NDJSON, then each is accepted and reads back through GET …/logs with its fields", async () => {
      const record = recordOf({ path: "/first", status: 201, cache: "MISS", originMs: 12.5, durationMs: 14 })
      const answer = await ship(server, ndjson([record]), { "x-batch-id": `b-${record.id}` })
      expect(answer).toEqual({ status: 200, body: { accepted: 1, rejected: 0, duplicate: 0, errors: [] } })
      const { tenantId: _, ...expected } = record
      expect((await stored()).find((log) => log.id === record.id)).toEqual(expected)
    })

    it("given either of EDGE_TOKENS, then it is accepted; a missing, wrong or session token is 401 and stores nothing", async () => {
      const record = recordOf()
      for (const authorization of [
        undefined,
        "Bearer nope",
        `Bearer ${edgeToken}x`,
        `Bearer ${owner}`,
        edgeToken
      ]) {
        const response = await fetch(`${server.baseUrl}/api/edge/logs`, {
          method: "POST",
          headers: {
            "content-type": "application/x-ndjson",
            ...(authorization === undefined ? {} : { authorization })
          },
          body: ndjson([record])
        })
        expect(response.status, String(authorization)).toBe(401)
        expect(((await response.json()) as { error: string }).error).toBe("unauthorized")
      }
      expect((await stored()).some((log) => log.id === record.id)).toBe(false)
      const other = await ship(server, ndjson([record]), { authorization: `Bearer ${otherEdgeToken}` })
      expect(other.body.accepted).toBe(1)
    })

    it("given a gzip body, then it is inflated and stored; a body that is not gzip is 400 and stores nothing", async () => {
      const records = [recordOf(), recordOf()]
      const answer = await ship(server, gzipSync(ndjson(records)), { "content-encoding": "gzip" })
      expect(answer.body).toEqual({ accepted: 2, rejected: 0, duplicate: 0, errors: [] })
      const broken = recordOf()
      const refused = await ship(server, ndjson([broken]), { "content-encoding": "gzip" })
      expect(refused.status).toBe(400)
      expect(refused.body.error).toBe("validation_failed")
      expect(refused.body.errors.body).toBeDefined()
      expect((await stored()).some((log) => log.id === broken.id)).toBe(false)
    })

    it("given a body over 5 MiB (declared, streamed, or a gzip bomb under it that inflates past it), then 413 payload_too_large and nothing stored", async () => {
      const record = recordOf()
      const line = JSON.stringify(record)
      const big = `${line}\n${" ".repeat(edgeLogsMaxBodyBytes)}\n`
      const declared = await ship(server, big)
      expect(declared.status).toBe(413)
      expect(declared.body.error).toBe("payload_too_large")
      expect(await shipChunked(server, edgeLogsMaxBodyBytes + 1024)).toBe(413)
      const bomb = gzipSync(Buffer.from(`${line}\n${" ".repeat(64 * 1024 * 1024)}`))
      expect(bomb.length).toBeLessThan(edgeLogsMaxBodyBytes)
      const inflated = await ship(server, bomb, { "content-encoding": "gzip" })
      expect(inflated.status).toBe(413)
      expect(inflated.body.error).toBe("payload_too_large")
      expect((await stored()).some((log) => log.id === record.id)).toBe(false)
    })

    it("given malformed lines, wrong types, late or future records and unknown tenants among good ones, then the good ones are stored and each bad line is named by number", async () => {
      const good = [recordOf(), recordOf()]
      const unknownTenant = logRecord({ tenantId: tenantIdFor(), slug })
      const lines = [
        JSON.stringify(good[0]),
        "{not json",
        "",
        JSON.stringify({ ...recordOf(), status: "200" }),
        JSON.stringify({ ...recordOf(), bytesOut: -1, cache: "WARM" }),
        JSON.stringify([1, 2]),
        JSON.stringify({ ...recordOf(), ts: new Date(Date.now() - 31 * 86_400_000).toISOString() }),
        JSON.stringify({ ...recordOf(), ts: new Date(Date.now() + 3 * 86_400_000).toISOString() }),
        JSON.stringify({ ...recordOf(), ts: "2026-13-45T99:99:99Z" }),
        JSON.stringify(unknownTenant),
        JSON.stringify({ ...recordOf(), slug: "someone-else" }),
        JSON.stringify({ ...recordOf(), userAgent: "u".repeat(257) }),
        JSON.stringify(good[1])
      ]
      const answer = await ship(server, `${lines.join("\n")}\n`)
      expect(answer.status).toBe(200)
      expect(answer.body.accepted).toBe(2)
      expect(answer.body.rejected).toBe(10)
      expect(answer.body.duplicate).toBe(0)
      expect(answer.body.errors.map((error: { line: number }) => error.line)).toEqual([
        2, 4, 5, 6, 7, 8, 9, 10, 11, 12
      ])
      const byLine = new Map<number, string>(
        answer.body.errors.map((error: { line: number; message: string }) => [error.line, error.message])
      )
      expect(byLine.get(2)).toMatch(/JSON/)
      expect(byLine.get(4)).toMatch(/^status/)
      expect(byLine.get(5)).toMatch(/bytesOut/)
      expect(byLine.get(5)).toMatch(/cache/)
      expect(byLine.get(7)).toMatch(/retention/)
      expect(byLine.get(8)).toMatch(/future/)
      expect(byLine.get(10)).toMatch(/tenantId/)
      expect(byLine.get(11)).toMatch(/slug/)
      expect(byLine.get(12)).toMatch(/userAgent/)
      const ids = new Set((await stored()).map((log) => log.id))
      expect(good.every((record) => ids.has(record.id))).toBe(true)
      expect(ids.has(unknownTenant.id)).toBe(false)
    })

    it("given more than 20 bad lines, then all are counted and the first 20 described", async () => {
      const answer = await ship(server, Array.from({ length: 30 }, () => "nope").join("\n"))
      expect(answer.body.rejected).toBe(30)
      expect(answer.body.errors).toHaveLength(20)
      expect(answer.body.errors[19].line).toBe(20)
    })

    it("given a batch already ingested, when it is replayed under its batch id or as new batches, then nothing doubles", async () => {
      const records = [recordOf(), recordOf(), recordOf()]
      const body = ndjson(records)
      const batchId = `batch-${records[0]!.id}`
      const first = await ship(server, body, { "x-batch-id": batchId })
      expect(first.body).toEqual({ accepted: 3, rejected: 0, duplicate: 0, errors: [] })
      const again = await ship(server, body, { "x-batch-id": batchId })
      expect(again.body).toEqual({ accepted: 0, rejected: 0, duplicate: 3, errors: [] })
      const fresh = recordOf()
      const mixed = await ship(server, ndjson([...records, fresh]), { "x-batch-id": `${batchId}-2` })
      expect(mixed.body).toEqual({ accepted: 1, rejected: 0, duplicate: 3, errors: [] })
      const logs = await stored()
      for (const record of [...records, fresh]) {
        expect(logs.filter((log) => log.id === record.id)).toHaveLength(1)
      }
    })

    it("given bad headers (another content type, another encoding, a malformed batch id), then 400 naming the header and nothing stored", async () => {
      const record = recordOf()
      for (const [headers, field] of [
        [{ "content-type": "application/json" }, "content-type"],
        [{ "content-encoding": "br" }, "content-encoding"],
        [{ "x-batch-id": "a b" }, "x-batch-id"],
        [{ "x-batch-id": "x".repeat(129) }, "x-batch-id"]
      ] as const) {
        const answer = await ship(server, ndjson([record]), headers)
        expect(answer.status).toBe(400)
        expect(answer.body.error).toBe("validation_failed")
        expect(Object.keys(answer.body.errors)).toEqual([field])
      }
      expect((await stored()).some((log) => log.id === record.id)).toBe(false)
    })

    it("given an empty body, then nothing is accepted or rejected", async () => {
      expect((await ship(server, "")).body).toEqual({ accepted: 0, rejected: 0, duplicate: 0, errors: [] })
    })
  })
}
