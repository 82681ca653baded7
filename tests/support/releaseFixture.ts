/**
 * The release-0.1 fixture (tests/fixtures/release-0.1, see its README.md): restored into a
 * database at migration 0005 as that release left it, and read back over HTTP the way the
 * fixture's answers were captured, for the upgrade test.
 *
 * Ported from the fixture's generator (`restore`, `captureAnswers`), which imports the
 * release's own module paths and is not part of this tree.
 */
import { readFileSync } from "node:fs"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { isDeepStrictEqual } from "node:util"
import { PgClient } from "@effect/sql-pg"
import { Effect, Exit, Redacted, Scope } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import * as Database from "../../adapters/sql/Database.ts"
import { migrations } from "../../adapters/sql/migrations/index.ts"
import * as PgliteClient from "../../adapters/sql/PgliteClient.ts"
import { type DatabaseTarget, freshPostgresDatabase } from "./databases.ts"
import { pgliteTemplatePath } from "./paths.ts"
import type { TestServer } from "./testServer.ts"

// biome-ignore lint/suspicious/noExplicitAny: JSON answers and rows are read field by field
export type Json = any

const fixtureFile = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/release-0.1/${name}`, import.meta.url), "utf8")) as Json

/** What release 0.1 wrote (`tables.json`), what it answered (`expected.json`), and its key. */
export const release = {
  tables: fixtureFile("tables.json") as {
    readonly schema: Json
    readonly sequences: Record<string, { readonly last_value: number; readonly is_called: boolean }>
    readonly tables: Record<string, ReadonlyArray<Json>>
  },
  expected: fixtureFile("expected.json"),
  encryptionKey: fixtureFile("keys.json").ENCRYPTION_KEY as string
}

/** The settings of the server that wrote the fixture (its README, "Other settings"). */
export const releaseSettings = (): Record<string, string> => ({
  ENCRYPTION_KEY: release.encryptionKey,
  INVITE_TTL_HOURS: String(release.expected.settings.INVITE_TTL_HOURS),
  MASTER_ADMIN_USER_IDS: String(release.expected.settings.MASTER_ADMIN_USER_IDS),
  PLANS: JSON.stringify(release.expected.settings.PLANS)
})

/** The migrations of release 0.1, by the names the migrator records. */
export const releaseMigrationNames = [
  "0001_event_store",
  "0002_read_models",
  "0003_tenant_keys",
  "0004_tenant_invites",
  "0005_tenant_webhooks"
] as const

/** The schema at 0005, by the release's own migrations and nothing later. */
const migrateToRelease = Migrator.make({})({
  loader: Migrator.fromRecord(
    Object.fromEntries(releaseMigrationNames.map((name) => [name, migrations[name]]))
  ),
  table: "tenantry_migrations"
})

/** The tables of the schema at 0005, as dumped. */
export const releaseTables = [
  "tenantry_migrations",
  "streams",
  "events",
  "snapshots",
  "projection_checkpoints",
  "tenants",
  "tenant_members",
  "tenant_keys",
  "tenant_invites",
  "tenant_webhooks",
  "tenant_webhook_events"
] as const

const fail = (message: string): never => {
  throw new Error(message)
}

/** xid8 text, compared as numbers; then position: the log's commit order. */
export const commitOrder = (a: Json, b: Json) => {
  const byXid = BigInt(a.transaction_id) - BigInt(b.transaction_id)
  return byXid === 0n ? a.position - b.position : byXid < 0n ? -1 : 1
}

/**
 * Restores the dump into the database of the SqlClient in context, whose schema the
 * release's migrations 0001–0005 have just made (the fixture's README, "Restoring it"):
 * the migrator's rows replaced by the dumped ones; every plain table as dumped; the events
 * re-inserted one statement (one transaction) per source transaction, in source commit
 * order, without their `transaction_id`, so each takes a fresh xid of THIS database (the
 * source xids may lie above its counter, where `readAll` would not see them); the
 * checkpoints' xids mapped; the sequences set. Answers the xid map (source → restored).
 */
const restore = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rowsOf = (table: string) => release.tables.tables[table] ?? []
  const populate = (table: string, rows: ReadonlyArray<Json>) =>
    rows.length === 0
      ? Effect.void
      : sql.unsafe(`INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`, [
          JSON.stringify(rows)
        ])
  yield* sql.withTransaction(
    Effect.gen(function* () {
      yield* sql.unsafe("DELETE FROM tenantry_migrations")
      for (const table of releaseTables) {
        if (table !== "events" && table !== "projection_checkpoints") yield* populate(table, rowsOf(table))
      }
    })
  )
  const groups = new Map<string, Array<Json>>()
  for (const event of [...rowsOf("events")].sort(commitOrder)) {
    const group = groups.get(event.transaction_id)
    if (group === undefined) groups.set(event.transaction_id, [event])
    else group.push(event)
  }
  const xids = new Map<string, string>()
  for (const [source, events] of groups) {
    const inserted = yield* sql.unsafe<{ transaction_id: string }>(
      `INSERT INTO events (position, stream_id, stream_version, tenant_id, type, schema_version, data, metadata, recorded_at)
       SELECT position, stream_id, stream_version, tenant_id, type, schema_version, data, metadata, recorded_at
       FROM jsonb_populate_recordset(NULL::events, $1::jsonb) ORDER BY position
       RETURNING transaction_id::text AS transaction_id`,
      [JSON.stringify(events)]
    )
    const restored = new Set(inserted.map((row) => row.transaction_id))
    if (restored.size !== 1) fail(`source transaction ${source} became ${restored.size}`)
    xids.set(source, [...restored][0]!)
  }
  yield* populate(
    "projection_checkpoints",
    rowsOf("projection_checkpoints").map((row) =>
      Number(row.position) === 0
        ? row
        : {
            ...row,
            transaction_id: xids.get(row.transaction_id) ?? fail(`checkpoint ${row.name} names no event`)
          }
    )
  )
  for (const [name, state] of Object.entries(release.tables.sequences)) {
    yield* sql.unsafe(`SELECT setval('${name}', $1, $2)`, [state.last_value, state.is_called])
  }
  return xids as ReadonlyMap<string, string>
})

/**
 * Columns, constraints and indexes of the public schema, as the catalog states them
 * (tables.json `schema`), but NOT NULL constraints, which PostgreSQL lists in `pg_constraint`
 * from version 18 only (PGlite is 18; CI's server may be older): the columns' `is_nullable`
 * says the same on every version.
 */
const schemaFacts = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const columns =
    yield* sql.unsafe(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
    FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`)
  const constraints = yield* sql.unsafe(`SELECT conrelid::regclass::text AS table_name, conname AS name,
      pg_get_constraintdef(oid) AS definition
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype <> 'n' ORDER BY 1, 2`)
  const indexes = yield* sql.unsafe(`SELECT tablename AS table_name, indexname AS name, indexdef AS definition
    FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`)
  return { columns, constraints, indexes } as Json
})

/** The release's migrations (checked to make release 0.1's schema exactly), then the dump. */
const restoreAt0005 = Effect.gen(function* () {
  yield* migrateToRelease
  const { columns, constraints, indexes } = release.tables.schema
  const difference = firstDifference(yield* schemaFacts, {
    columns,
    constraints: constraints.filter((constraint: Json) => !constraint.definition.startsWith("NOT NULL")),
    indexes
  })
  if (difference !== undefined) fail(`the schema at 0005 is not release 0.1's: ${difference}`)
  return yield* restore
})

/** A release-0.1 database, restored at 0005: the target any number of servers open in turn. */
export interface RestoredDatabase {
  /** Opens the restored database (PGlite: its data directory; PostgreSQL: its URL), migrating it. */
  readonly target: DatabaseTarget
  /** Source xid (tables.json) → the xid its transaction has in this database. */
  readonly xids: ReadonlyMap<string, string>
  /** Removes the database. */
  readonly dispose: () => Promise<void>
}

/**
 * The fixture restored into a new PGlite data directory, at migration 0005 (nothing of 0006
 * run). The directory starts from the run's migrated template (tests/support/globalSetup.ts)
 * with its public schema dropped and made again, empty: an initdb costs 5–20 s of WASM, and
 * everything the migrations make lives in that schema. `restoreAt0005` checks that the
 * release's migrations then make exactly release 0.1's schema.
 */
export const restoredPglite = async (): Promise<RestoredDatabase> => {
  const work = await mkdtemp(join(tmpdir(), "tenantry-release-0.1-"))
  const dataDir = join(work, "pglite")
  try {
    const template = new Blob([await readFile(pgliteTemplatePath)])
    const xids = await Effect.runPromise(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe("DROP SCHEMA public CASCADE")
        yield* sql.unsafe("CREATE SCHEMA public")
        return yield* restoreAt0005
      }).pipe(Effect.provide(PgliteClient.layer({ dataDir, loadDataDir: template })))
    )
    return {
      target: { name: "pglite", layer: () => Database.layer({ _tag: "pglite", dataDir }) },
      xids,
      dispose: () => rm(work, { recursive: true, force: true })
    }
  } catch (error) {
    await rm(work, { recursive: true, force: true })
    throw error
  }
}

/** The fixture restored into a new database on the PostgreSQL server at `serverUrl`, at 0005. */
export const restoredPostgres = async (serverUrl: string): Promise<RestoredDatabase> => {
  const scope = await Effect.runPromise(Scope.make())
  const dispose = () => Effect.runPromise(Scope.close(scope, Exit.void))
  try {
    const url = await Effect.runPromise(Scope.provide(scope)(freshPostgresDatabase(serverUrl)))
    const xids = await Effect.runPromise(
      restoreAt0005.pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })))
    )
    return {
      target: {
        name: "postgres",
        layer: () => Database.layer({ _tag: "postgres", url, maxConnections: 20 })
      },
      xids,
      dispose
    }
  } catch (error) {
    await dispose()
    throw error
  }
}

// ---------------------------------------------------------------------------------------
// Reading the server

export interface Reply {
  readonly status: number
  readonly body: Json
}

/** Requests to one server as the fixture's users (a session carrying each one's email). */
export class ReleaseClient {
  private readonly tokens = new Map<string, Promise<string>>()
  readonly server: TestServer
  constructor(server: TestServer) {
    this.server = server
  }

  private token(userId: string) {
    let token = this.tokens.get(userId)
    if (token === undefined) {
      const email = release.expected.users[userId]?.email ?? null
      token = this.server.token(userId, email === null ? {} : { email })
      this.tokens.set(userId, token)
    }
    return token
  }

  async send(
    userId: string | undefined,
    method: string,
    path: string,
    options: {
      readonly body?: unknown
      readonly raw?: string
      readonly headers?: Record<string, string>
    } = {}
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers }
    if (userId !== undefined) headers.authorization = `Bearer ${await this.token(userId)}`
    let body = options.raw
    if (options.body !== undefined) {
      headers["content-type"] = "application/json"
      body = JSON.stringify(options.body)
    }
    const response = await fetch(`${this.server.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body })
    })
    const text = await response.text()
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
  }

  /** `send`, refusing any status but `status`: the answer's body. */
  async call(userId: string | undefined, method: string, path: string, body?: unknown, status = 200) {
    const reply = await this.send(userId, method, path, body === undefined ? {} : { body })
    if (reply.status !== status) {
      fail(`${userId ?? "anonymous"} ${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`)
    }
    return reply.body as Json
  }
}

/** Who each live tenant was captured as (an owner at capture). */
export const capturedAs = (slug: string): string =>
  release.expected.tenants[slug]?.capturedAs ?? fail(`no tenant ${slug} in expected.json`)

export const liveSlugs: ReadonlyArray<string> = release.expected.liveTenants
export const userIds: ReadonlyArray<string> = Object.keys(release.expected.users)

const auditPages = async (api: ReleaseClient, userId: string, slug: string) => {
  const pages: Array<Json> = []
  let beforeId: number | undefined
  for (;;) {
    const page = await api.call(
      userId,
      "GET",
      `/api/tenants/${slug}/audit-events?limit=200${beforeId === undefined ? "" : `&beforeId=${beforeId}`}`
    )
    pages.push(page)
    if (!page.hasMore || page.events.length === 0) return pages
    beforeId = page.events.at(-1).id
  }
}

/**
 * What the server answers about every live tenant (as its capture owner: the tenant, its
 * members, webhooks, each webhook's history for every id `expected.json` names, every
 * audit page) and every user's tenant list, in `expected.json`'s shape. Read-only.
 */
export const captureAnswers = async (api: ReleaseClient) => {
  const tenants: Record<string, Json> = {}
  for (const slug of liveSlugs) {
    const owner = capturedAs(slug)
    const base = `/api/tenants/${slug}`
    const tenant = await api.call(owner, "GET", base)
    const webhookEvents: Record<string, Reply> = {}
    for (const id of Object.keys(release.expected.tenants[slug].webhookEvents).sort()) {
      webhookEvents[id] = await api.send(owner, "GET", `${base}/cache-refresh-webhooks/${id}/events`)
    }
    tenants[slug] = {
      tenantId: tenant.value?.tenantId,
      capturedAs: owner,
      tenant,
      members: await api.call(owner, "GET", `${base}/members`),
      cacheRefreshWebhooks: await api.call(owner, "GET", `${base}/cache-refresh-webhooks`),
      webhookEvents,
      auditEvents: await auditPages(api, owner, slug)
    }
  }
  const users: Record<string, Json> = {}
  for (const userId of userIds) {
    users[userId] = {
      email: release.expected.users[userId].email,
      tenants: await api.call(userId, "GET", "/api/tenants")
    }
  }
  return { tenants, users }
}

/** Each provider's delivery, headers and body as it sends them (as the fixture made them). */
export const deliveries: Record<string, { readonly headers: Record<string, string>; readonly body: string }> =
  {
    contentful: {
      headers: {
        "content-type": "application/vnd.contentful.management.v1+json",
        "x-contentful-topic": "ContentManagement.Entry.publish"
      },
      body: JSON.stringify({ sys: { type: "Entry", id: "5KsDBWseXY6QegucYAoacS" }, fields: {} })
    },
    prismic: {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "api-update", masterRef: "ZBGy7RAAACQA3Y7W", domain: "globex-repo" })
    },
    storyblok: {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "published", action: "published", space_id: 1234, story_id: 123456 })
    },
    generic: { headers: { "content-type": "text/plain" }, body: "anything at all, not JSON" }
  }

// ---------------------------------------------------------------------------------------
// Comparing

/**
 * `actual` cut down to the fields `expected` has (objects key by key, arrays item by item):
 * what an answer of the newer release says about what the older one said. The fields cut
 * away are added to `added`, as paths with `[]` for any array index.
 */
export const onlyFieldsOf = (actual: Json, expected: Json, added: Set<string>, path = ""): Json => {
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.map((item, i) => onlyFieldsOf(item, expected[i], added, `${path}[]`))
  }
  const isObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value)
  if (isObject(actual) && isObject(expected)) {
    const kept: Json = {}
    for (const [key, value] of Object.entries(actual)) {
      if (Object.hasOwn(expected, key))
        kept[key] = onlyFieldsOf(value, expected[key], added, `${path}/${key}`)
      else added.add(`${path}/${key}`)
    }
    return kept
  }
  return actual
}

/** Where two JSON values first differ: a path and both sides, or undefined. */
export const firstDifference = (actual: Json, expected: Json, path = ""): string | undefined => {
  if (isDeepStrictEqual(actual, expected)) return undefined
  if (typeof actual === "object" && actual !== null && typeof expected === "object" && expected !== null) {
    for (const key of new Set([...Object.keys(actual), ...Object.keys(expected)])) {
      const found = firstDifference(actual[key], expected[key], `${path}/${key}`)
      if (found !== undefined) return found
    }
  }
  return `${path || "/"}: ${JSON.stringify(actual)} (expected ${JSON.stringify(expected)})`
}

/** Every difference between two JSON values, one line each (at most `limit`). */
export const differences = (actual: Json, expected: Json, limit = 20, path = ""): Array<string> => {
  if (isDeepStrictEqual(actual, expected)) return []
  if (typeof actual === "object" && actual !== null && typeof expected === "object" && expected !== null) {
    const found: Array<string> = []
    for (const key of new Set([...Object.keys(actual), ...Object.keys(expected)])) {
      if (found.length >= limit) break
      found.push(...differences(actual[key], expected[key], limit - found.length, `${path}/${key}`))
    }
    return found
  }
  return [`${path || "/"}: ${JSON.stringify(actual)} (expected ${JSON.stringify(expected)})`]
}

// ---------------------------------------------------------------------------------------
// Reading the database

/** Rows of a query, as JSON. */
export const query = (text: string, params: ReadonlyArray<unknown> = []) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return (yield* sql.unsafe<Json>(text, params)) as ReadonlyArray<Json>
  })

const asNumber = (value: unknown) => {
  const number = Number(value)
  if (!Number.isSafeInteger(number)) fail(`not a safe integer: ${String(value)}`)
  return number
}

/**
 * Every row of `table` in the fixture's dump format (tables.json): xid8 as text,
 * timestamptz as ISO text in UTC with microseconds, int8 as numbers, jsonb as JSON;
 * ordered by `orderBy` (columns of the table).
 */
export const readTable = (table: string, orderBy: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const columns = yield* query(
      `SELECT column_name, udt_name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
      [table]
    )
    if (columns.length === 0) fail(`no table ${table}`)
    const select = columns.map((column: Json) => {
      const name = `"${column.column_name}"`
      if (column.udt_name === "xid8" || column.udt_name === "int8") return `${name}::text AS ${name}`
      if (column.udt_name === "timestamptz") {
        return `to_char(${name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${name}`
      }
      return name
    })
    const order = orderBy.map((column) => `${table}."${column}"`).join(", ")
    const rows = yield* query(`SELECT ${select.join(", ")} FROM ${table} ORDER BY ${order}`)
    return rows.map((row: Json) => {
      const out: Json = {}
      for (const column of columns) {
        const value = row[column.column_name]
        out[column.column_name] =
          value === null
            ? null
            : column.udt_name === "int8"
              ? asNumber(value)
              : column.udt_name === "jsonb" && typeof value === "string"
                ? JSON.parse(value)
                : value
      }
      return out
    })
  })
