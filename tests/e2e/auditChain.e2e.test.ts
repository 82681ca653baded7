import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { Effect, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  exportTenant,
  tenantIdOfSlug,
  type Verification,
  verifyChains
} from "../../adapters/sql/auditChain.ts"
import * as Database from "../../adapters/sql/Database.ts"
import { databaseTargets, freshPostgresDatabase } from "../support/databases.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { postgresUrl } from "../support/services.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

const run = promisify(execFile)
const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

/** The python block of docs/audit.md, as a file: the documented verifier itself is what runs. */
const documentedVerifier = async (dir: string) => {
  const doc = await readFile(join(repoRoot, "docs", "audit.md"), "utf8")
  const code = /```python\n([\s\S]*?)```/.exec(doc)?.[1]
  if (code === undefined) throw new Error("docs/audit.md has no python block")
  expect(code.trim().split("\n").length).toBeLessThanOrEqual(12)
  const path = join(dir, "verify.py")
  await writeFile(path, code)
  return path
}

const python = (verifier: string, exportFile: string) =>
  run("python3", [verifier, exportFile]).then(
    ({ stdout }) => ({ code: 0, out: stdout.trim() }),
    (error: { code: number; stderr: string }) => ({ code: error.code, out: error.stderr.trim() })
  )

/** A tenant with events in three of its streams (tenant, cache versions, members). */
const busyTenant = async (server: TestServer, label: string) => {
  const owner = await server.token(`user_chain_${label}_${Date.now().toString(36)}`)
  const slug = await createGenericTenant(server, owner, "chain")
  for (const type of ["api", "html", "assets"]) {
    expect(
      (await request(server, "POST", `/api/tenants/${slug}/refresh-cache`, { token: owner, body: { type } }))
        .status
    ).toBe(200)
  }
  expect(
    (await request(server, "PUT", `/api/tenants/${slug}`, { token: owner, body: { cacheTTL: 120 } })).status
  ).toBe(200)
  expect(
    (
      await request(server, "POST", `/api/tenants/${slug}/members/invite`, {
        token: owner,
        body: { email: `a-${label}@example.com`, role: "viewer" }
      })
    ).status
  ).toBe(200)
  expect(
    (
      await request(server, "PUT", `/api/tenants/${slug}/api-token`, {
        token: owner,
        body: { token: "secret-token-value" }
      })
    ).status
  ).toBe(200)
  const page = await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=200`, { token: owner })
  const history = [...page.body.events].reverse() as Array<{ id: number; stream: string; type: string }>
  return { slug, owner, history }
}

/** Carries verify's answer out of the transaction it rolls back. */
class Undo {
  readonly result: Verification
  constructor(result: Verification) {
    this.result = result
  }
}

describe.each(databaseTargets)("The hash chain ($name)", (target) => {
  let server: TestServer
  let dir: string
  let verifier: string

  beforeAll(async () => {
    server = await startTestServer(target)
    dir = await mkdtemp(join(tmpdir(), "tenantry-chain-"))
    verifier = await documentedVerifier(dir)
  })
  afterAll(async () => {
    await server?.close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  /** Runs `tamper` and then verify in one transaction that is rolled back: what verify found. */
  const verifyAfter = (
    tamper: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>,
    tenantId?: string
  ) =>
    server.run(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        return yield* sql
          .withTransaction(
            Effect.gen(function* () {
              yield* tamper(sql)
              return yield* Effect.fail(new Undo(yield* verifyChains(tenantId)))
            })
          )
          .pipe(
            Effect.catch((failure) =>
              failure instanceof Undo ? Effect.succeed(failure.result) : Effect.die(failure)
            )
          )
      })
    )

  const tenantIdOf = (slug: string) => server.run(tenantIdOfSlug(slug)).then((id) => id!)

  it("given untouched history, then audit verify finds every chain whole, for all tenants and for one", async () => {
    const { slug, history } = await busyTenant(server, "whole")
    const all = await server.run(verifyChains())
    expect(all.broken).toEqual([])
    const one = await server.run(verifyChains(await tenantIdOf(slug)))
    expect(one).toEqual({
      streams: new Set(history.map((event) => event.stream)).size,
      events: history.length,
      broken: []
    })
  })

  it("given an edited, a removed, a reordered row or a truncated stream, then audit verify names the stream and the right id", async () => {
    const { slug, history } = await busyTenant(server, "tamper")
    const tenantId = await tenantIdOf(slug)
    const bumps = history.filter((event) => event.type === "CacheVersionsBumped")
    expect(bumps.length).toBe(3)
    const [first, second, third] = bumps as [(typeof bumps)[0], (typeof bumps)[0], (typeof bumps)[0]]

    const edited = await verifyAfter(
      (sql) =>
        sql`UPDATE events SET data = jsonb_set(data, '{target}', '"all"') WHERE position = ${second.id}`,
      tenantId
    )
    expect(edited.broken).toEqual([
      { id: second.id, stream: second.stream, version: 2, problem: "hash does not match the event's content" }
    ])

    const metadataEdited = await verifyAfter(
      (sql) =>
        sql`UPDATE events SET metadata = jsonb_set(metadata, '{actor,id}', '"someone_else"') WHERE position = ${first.id}`,
      tenantId
    )
    expect(metadataEdited.broken.map((link) => link.id)).toEqual([first.id])

    const removed = await verifyAfter(
      (sql) => sql`DELETE FROM events WHERE position = ${second.id}`,
      tenantId
    )
    expect(removed.broken).toMatchObject([{ id: third.id, stream: third.stream, version: 3 }])
    expect(removed.broken[0]!.problem).toContain("jumps from version 1 to 3")

    const reordered = await verifyAfter(
      (sql) =>
        Effect.gen(function* () {
          yield* sql`UPDATE events SET stream_version = -1 WHERE position = ${second.id}`
          yield* sql`UPDATE events SET stream_version = 2 WHERE position = ${third.id}`
          yield* sql`UPDATE events SET stream_version = 3 WHERE position = ${second.id}`
        }),
      tenantId
    )
    expect(reordered.broken).toMatchObject([{ id: third.id, stream: third.stream, version: 2 }])

    const truncated = await verifyAfter(
      (sql) => sql`DELETE FROM events WHERE position = ${third.id}`,
      tenantId
    )
    expect(truncated.broken).toMatchObject([{ id: second.id, stream: second.stream, version: 2 }])
    expect(truncated.broken[0]!.problem).toContain("head is version 3")

    // Nothing was kept: every tamper was rolled back.
    expect((await server.run(verifyChains(tenantId))).broken).toEqual([])
  })

  it("given an export, then the documented python verifier accepts it with SHA-256 alone, shows no secret, and names the id of an edited line", async () => {
    const { slug, history } = await busyTenant(server, "export")
    const tenantId = await tenantIdOf(slug)
    const text = await server.run(Stream.mkString(exportTenant(tenantId)))
    const lines = text.trimEnd().split("\n")
    expect(lines.map((line) => JSON.parse(line).id)).toEqual(history.map((event) => event.id))
    expect(text).not.toContain("secret-token-value")
    for (const line of lines) {
      expect(
        Object.keys(JSON.parse(line).data).filter((key) => /sealed|token|hash|secret/i.test(key))
      ).toEqual([])
    }
    const tokenSaved = lines.map((line) => JSON.parse(line)).find((event) => event.type === "ApiTokenSaved")
    expect(Object.keys(tokenSaved.redacted).length).toBeGreaterThan(0)

    const file = join(dir, `${slug}.ndjson`)
    await writeFile(file, text)
    expect(await python(verifier, file)).toEqual({
      code: 0,
      out: `ok: ${new Set(history.map((e) => e.stream)).size} streams`
    })

    // From a checkpoint: what follows still verifies, anchored on each stream's first line.
    const after = history[3]!.id
    const tail = await server.run(Stream.mkString(exportTenant(tenantId, after)))
    await writeFile(file, tail)
    expect((await python(verifier, file)).code).toBe(0)

    const victim = JSON.parse(lines[4]!)
    const tampered = lines.map((line, i) =>
      i === 4 ? JSON.stringify({ ...victim, occurredAt: 1, recordedAt: "2000-01-01T00:00:00.000Z" }) : line
    )
    await writeFile(file, `${tampered.join("\n")}\n`)
    expect(await python(verifier, file)).toEqual({ code: 1, out: `broken at id ${victim.id}` })
  })
})

/**
 * The CLI itself, spawned as an operator runs it, against PostgreSQL (a PGlite data directory
 * takes the CLI 20-40 s to open on a busy box; the commands are the same code on both, and
 * the walks above run on both stacks in-process).
 */
describe.runIf(postgresUrl !== undefined)("npm run cli -- audit verify / export (PostgreSQL)", () => {
  it("given a database the server wrote, then `audit verify` holds and `audit export` verifies with python; after an edit, verify exits 1 naming the id", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tenantry-cli-audit-"))
    try {
      await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const url = yield* freshPostgresDatabase(postgresUrl!)
            yield* Effect.promise(() => cliScenario(url, dir))
          })
        )
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

const cliScenario = async (databaseUrl: string, dir: string) => {
  const server = await startTestServer({
    name: "postgres",
    layer: () => Database.layer({ _tag: "postgres", url: databaseUrl, maxConnections: 5 })
  })
  try {
    const { slug, history } = await busyTenant(server, "cli")
    const cli = (...args: Array<string>) =>
      run(
        join(repoRoot, "node_modules", ".bin", "node"),
        [join(repoRoot, "apps", "cli", "main.ts"), ...args],
        {
          cwd: repoRoot,
          env: { ...process.env, DATA_DIR: dir, DATABASE_URL: databaseUrl },
          maxBuffer: 64 * 1024 * 1024
        }
      ).then(
        ({ stdout }) => ({ code: 0, out: stdout }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          out: error.stdout + error.stderr
        })
      )
    const verified = await cli("audit", "verify", slug)
    expect(verified).toMatchObject({ code: 0 })
    expect(verified.out).toContain(`ok: ${history.length} events`)
    const exported = await cli("audit", "export", slug)
    expect(exported.code).toBe(0)
    const file = join(dir, "export.ndjson")
    await writeFile(file, exported.out)
    expect((await python(await documentedVerifier(dir), file)).code).toBe(0)
    const tail = await cli("audit", "export", slug, "--after", String(history[2]!.id))
    expect(
      tail.out
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line).id)
    ).toEqual(history.slice(3).map((event) => event.id))

    const victim = history.find((event) => event.type === "TenantConfigUpdated")!
    await server.run(
      Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
        Effect.orDie(
          sql`UPDATE events SET data = jsonb_set(data, '{at}', '"2000-01-01T00:00:00.000Z"') WHERE position = ${victim.id}`
        )
      )
    )
    const broken = await cli("audit", "verify")
    expect(broken.code).toBe(1)
    expect(broken.out).toContain(`broken at id ${victim.id} `)
  } finally {
    await server.close()
  }
}
