import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Api } from "../../adapters/http/api/Api.ts"
import { databaseTargets } from "../support/databases.ts"
import { request, streamStatus } from "../support/http.ts"
import { startSmtpSink } from "../support/smtpSink.ts"
import { masterAdminId, startTestServer, type TestServer } from "../support/testServer.ts"

/**
 * ONE table: every endpoint of the API × every kind of caller → the status it gets,
 * end to end on a real server. Each cell runs against a tenant of its own, staffed
 * through the API itself with a viewer, an editor, an admin and a pending invite.
 * An endpoint added to the API without a row here fails the suite.
 */

const callers = [
  "noSession",
  "badToken",
  "nonMember",
  "viewer",
  "editor",
  "admin",
  "owner",
  "masterAdmin"
] as const
type Caller = (typeof callers)[number]
type Statuses = readonly [number, number, number, number, number, number, number, number]

interface Fixture {
  readonly n: number
  readonly slug: string
  readonly users: Record<"viewer" | "editor" | "admin" | "owner" | "nonMember", string>
  /** A pending viewer invite: its id and token. */
  readonly pending: { readonly id: number; readonly token: string }
  /** The site-publish secret, and a generic cache-refresh webhook (its id and receiver path). */
  readonly siteSecret: string
  readonly webhook: { readonly id: string; readonly path: string }
  /** A custom domain the tenant holds (pending: the test servers ask no DNS). */
  readonly domain: string
}

interface Call {
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
  readonly path: string
  readonly body?: unknown
  /** An endless answer (an audit feed): only its status is read. */
  readonly stream?: true
}

//                       no session, bad token, non-member, viewer, editor, admin, owner, master admin
const anyone: Statuses = [200, 200, 200, 200, 200, 200, 200, 200]
const signedIn: Statuses = [401, 401, 200, 200, 200, 200, 200, 200]
const viewerUp: Statuses = [401, 401, 403, 200, 200, 200, 200, 200]
const editorUp: Statuses = [401, 401, 403, 403, 200, 200, 200, 200]
const adminUp: Statuses = [401, 401, 403, 403, 403, 200, 200, 200]
const ownerOnly: Statuses = [401, 401, 403, 403, 403, 403, 200, 200]

const tenant = (f: Fixture) => `/api/tenants/${f.slug}`

const matrix: Record<string, { readonly call: (f: Fixture) => Call; readonly expected: Statuses }> = {
  "tenants.listTenants": { call: () => ({ method: "GET", path: "/api/tenants" }), expected: signedIn },
  "tenants.createTenant": {
    call: (f) => ({
      method: "POST",
      path: "/api/tenants",
      body: { slug: `${f.slug}-new`, cms: "generic", apiOrigin: "https://api.example.com" }
    }),
    expected: [401, 401, 201, 201, 201, 201, 201, 201]
  },
  "tenants.slugAvailability": {
    call: (f) => ({ method: "GET", path: `/api/tenants/slug-availability?slug=${f.slug}-free` }),
    expected: signedIn
  },
  "tenant.getTenant": { call: (f) => ({ method: "GET", path: tenant(f) }), expected: viewerUp },
  "usage.usageAcrossTenants": {
    call: () => ({ method: "GET", path: "/api/tenants/usage?period=2026-01" }),
    expected: signedIn
  },
  "analytics.analytics": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/analytics?period=24h` }),
    expected: viewerUp
  },
  "analytics.bandwidthDaily": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/bandwidth-daily` }),
    expected: viewerUp
  },
  "analytics.tenantUsage": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/usage` }),
    expected: viewerUp
  },
  "tenant.updateTenant": {
    call: (f) => ({ method: "PUT", path: tenant(f), body: { cacheTTL: 600 } }),
    expected: editorUp
  },
  "tenant.deleteTenant": { call: (f) => ({ method: "DELETE", path: tenant(f) }), expected: ownerOnly },
  "tenant.refreshCache": {
    call: (f) => ({ method: "POST", path: `${tenant(f)}/refresh-cache`, body: { type: "html" } }),
    expected: editorUp
  },
  "tenant.edgeConfig": {
    call: (f) => ({ method: "POST", path: `${tenant(f)}/edge-config` }),
    expected: editorUp
  },
  "tenant.auditStream": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/audit-events/stream`, stream: true }),
    expected: viewerUp
  },
  "audit.globalAuditStream": {
    call: () => ({ method: "GET", path: "/api/audit-events/stream", stream: true }),
    expected: signedIn
  },
  "tenant.auditHead": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/audit-events/head` }),
    expected: viewerUp
  },
  "tenant.auditEvents": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/audit-events` }),
    expected: viewerUp
  },
  "tenant.saveApiConfig": {
    call: (f) => ({
      method: "PUT",
      path: `${tenant(f)}/api-config`,
      body: { apiOrigin: "https://api.example.com", apiAuthMode: "none" }
    }),
    expected: editorUp
  },
  "tenant.saveApiToken": {
    call: (f) => ({ method: "PUT", path: `${tenant(f)}/api-token`, body: { token: "s3cr3t" } }),
    expected: editorUp
  },
  // The outbound checks: read-only, viewer+ (the website URL is refused by the fetcher, fast).
  "checks.cachelyCheck": {
    call: (f) => ({ method: "POST", path: `${tenant(f)}/cachely-check` }),
    expected: viewerUp
  },
  "checks.websiteImplementationCheck": {
    call: (f) => ({
      method: "POST",
      path: `${tenant(f)}/website-implementation-check`,
      body: { url: "http://127.0.0.1/" }
    }),
    expected: viewerUp
  },
  "members.listMembers": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/members` }),
    expected: viewerUp
  },
  "members.inviteMember": {
    call: (f) => ({
      method: "POST",
      path: `${tenant(f)}/members/invite`,
      body: { email: "new@example.com", role: "viewer" }
    }),
    expected: adminUp
  },
  "members.removeMember": {
    call: (f) => ({ method: "POST", path: `${tenant(f)}/members/remove`, body: { userId: f.users.viewer } }),
    expected: adminUp
  },
  "members.revokeInvite": {
    call: (f) => ({
      method: "POST",
      path: `${tenant(f)}/members/revoke-invite`,
      body: { inviteId: f.pending.id }
    }),
    expected: adminUp
  },
  "members.updateMemberRole": {
    call: (f) => ({
      method: "POST",
      path: `${tenant(f)}/members/update-role`,
      body: { userId: f.users.editor, role: "viewer" }
    }),
    expected: adminUp
  },
  // Members already belong (409 already_exists); anyone else signed in joins.
  "invites.acceptInvite": {
    call: (f) => ({ method: "POST", path: "/api/invites/accept", body: { token: f.pending.token } }),
    expected: [401, 401, 200, 409, 409, 409, 409, 200]
  },
  "webhooks.generateWebhookSecret": {
    call: (f) => ({ method: "POST", path: `${tenant(f)}/webhook-secret` }),
    expected: editorUp
  },
  "webhooks.rotateWebhookSecret": {
    call: (f) => ({ method: "PUT", path: `${tenant(f)}/webhook-secret` }),
    expected: adminUp
  },
  "webhooks.listCacheRefreshWebhooks": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/cache-refresh-webhooks` }),
    expected: editorUp
  },
  "webhooks.createCacheRefreshWebhook": {
    call: (f) => ({
      method: "POST",
      path: `${tenant(f)}/cache-refresh-webhooks`,
      body: { provider: "generic" }
    }),
    expected: adminUp
  },
  "webhooks.regenerateCacheRefreshWebhook": {
    call: (f) => ({ method: "POST", path: `${tenant(f)}/cache-refresh-webhooks/${f.webhook.id}/regenerate` }),
    expected: adminUp
  },
  "webhooks.deleteCacheRefreshWebhook": {
    call: (f) => ({ method: "DELETE", path: `${tenant(f)}/cache-refresh-webhooks/${f.webhook.id}` }),
    expected: adminUp
  },
  "webhooks.cacheRefreshWebhookEvents": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/cache-refresh-webhooks/${f.webhook.id}/events` }),
    expected: editorUp
  },
  // Public receivers: the secret in the URL is the only credential. Every caller sends the
  // right secret; a session (valid, forged or none) changes nothing, so all get 200.
  "webhookReceivers.sitePublishWebhook": {
    call: (f) => ({
      method: "POST",
      path: `${tenant(f)}/webhook?secret=${encodeURIComponent(f.siteSecret)}`
    }),
    expected: anyone
  },
  "webhookReceivers.cacheRefreshWebhook": {
    call: (f) => ({ method: "POST", path: f.webhook.path, body: { sys: { type: "Entry" } } }),
    expected: anyone
  },
  "domains.listDomains": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/domains` }),
    expected: viewerUp
  },
  "domains.addDomain": {
    call: (f) => ({ method: "POST", path: `${tenant(f)}/domains`, body: { hostname: `new-${f.domain}` } }),
    expected: [401, 401, 403, 403, 201, 201, 201, 201]
  },
  "domains.removeDomain": {
    call: (f) => ({ method: "DELETE", path: `${tenant(f)}/domains?hostname=${f.domain}` }),
    expected: editorUp
  },
  // DNS cannot be asked here (a dead loopback port): still 200, the status kept.
  "domains.verifyDomain": {
    call: (f) => ({ method: "POST", path: `${tenant(f)}/domains/verify`, body: { hostname: f.domain } }),
    expected: editorUp
  },
  // Internal: loopback clients (every caller here) or a bearer INTERNAL_API_TOKEN; sessions change nothing.
  "config.traefikConfig": { call: () => ({ method: "GET", path: "/api/config/traefik" }), expected: anyone },
  "logs.requestLogs": {
    call: (f) => ({ method: "GET", path: `${tenant(f)}/logs` }),
    expected: viewerUp
  },
  // Edges only: one of EDGE_TOKENS is the credential; no session (any role) is one.
  "edgeLogs.ingestLogs": {
    call: () => ({ method: "POST", path: "/api/edge/logs" }),
    expected: [401, 401, 401, 401, 401, 401, 401, 401]
  },
  "system.healthz": { call: () => ({ method: "GET", path: "/healthz" }), expected: anyone },
  "system.readyz": { call: () => ({ method: "GET", path: "/readyz" }), expected: anyone }
}

const endpointsOfApi = () =>
  Object.entries(Api.groups).flatMap(([group, definition]) =>
    Object.keys((definition as { readonly endpoints: Record<string, unknown> }).endpoints).map(
      (name) => `${group}.${name}`
    )
  )

describe("Authorization matrix", () => {
  let server: TestServer
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>
  let fixtures = 0

  beforeAll(async () => {
    smtp = await startSmtpSink()
    server = await startTestServer(databaseTargets[0]!, {
      SMTP_URL: smtp.url,
      PLANS: JSON.stringify({ free: { maxTenants: 1000 } })
    })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  /** A tenant of its own, staffed through the API: owner, viewer, editor, admin, and one pending invite. */
  const staffedTenant = async (): Promise<Fixture> => {
    const n = fixtures++
    const tag = `${Date.now().toString(36)}${n.toString(36)}`
    const users = {
      owner: `user_owner_${tag}`,
      viewer: `user_viewer_${tag}`,
      editor: `user_editor_${tag}`,
      admin: `user_admin_${tag}`,
      nonMember: `user_outsider_${tag}`
    }
    const slug = `mx-${tag}`
    const owner = await server.token(users.owner)
    const created = await request(server, "POST", "/api/tenants", {
      token: owner,
      body: { slug, cms: "generic", apiOrigin: "https://api.example.com" }
    })
    if (created.status !== 201)
      throw new Error(`fixture: create ${created.status} ${JSON.stringify(created.body)}`)
    for (const role of ["viewer", "editor", "admin"] as const) {
      const invited = await request(server, "POST", `/api/tenants/${slug}/members/invite`, {
        token: owner,
        body: { email: `${role}-${tag}@example.com`, role }
      })
      const accepted = await request(server, "POST", "/api/invites/accept", {
        token: await server.token(users[role]),
        body: { token: invited.body.token }
      })
      if (accepted.status !== 200)
        throw new Error(`fixture: accept ${accepted.status} ${JSON.stringify(accepted.body)}`)
    }
    const pending = await request(server, "POST", `/api/tenants/${slug}/members/invite`, {
      token: owner,
      body: { email: `pending-${tag}@example.com`, role: "viewer" }
    })
    const siteSecret = await request(server, "POST", `/api/tenants/${slug}/webhook-secret`, { token: owner })
    const webhook = await request(server, "POST", `/api/tenants/${slug}/cache-refresh-webhooks`, {
      token: owner,
      body: { provider: "generic" }
    })
    if (siteSecret.status !== 200 || webhook.status !== 200)
      throw new Error(`fixture: webhooks ${siteSecret.status} ${webhook.status}`)
    const domain = `${slug}.example.com`
    const added = await request(server, "POST", `/api/tenants/${slug}/domains`, {
      token: owner,
      body: { hostname: domain }
    })
    if (added.status !== 201) throw new Error(`fixture: domain ${added.status} ${JSON.stringify(added.body)}`)
    return {
      n,
      slug,
      users,
      pending: { id: pending.body.id, token: pending.body.token },
      siteSecret: siteSecret.body.secret,
      webhook: { id: webhook.body.webhook.id, path: new URL(webhook.body.url).pathname },
      domain
    }
  }

  const credentialOf = async (caller: Caller, fixture: Fixture): Promise<string | undefined> => {
    switch (caller) {
      case "noSession":
        return undefined
      case "badToken": {
        const real = await server.token(fixture.users.owner)
        return `${real.slice(0, -6)}${real.slice(-6) === "AAAAAA" ? "BBBBBB" : "AAAAAA"}`
      }
      case "masterAdmin":
        return server.token(masterAdminId)
      default:
        return server.token(fixture.users[caller])
    }
  }

  it("given the API definition, then every endpoint has exactly one row in the matrix", () => {
    expect(Object.keys(matrix).sort()).toEqual(endpointsOfApi().sort())
  })

  for (const [endpoint, row] of Object.entries(matrix)) {
    it(`given ${endpoint}, when called with no session, a bad token, and as non-member, viewer, editor, admin, owner and master admin, then each gets the status in its row`, async () => {
      const actual = await Promise.all(
        callers.map(async (caller) => {
          const fixture = await staffedTenant()
          const call = row.call(fixture)
          const token = await credentialOf(caller, fixture)
          if (call.stream) return streamStatus(server, call.path, token)
          const reply = await request(server, call.method, call.path, { token, body: call.body })
          return reply.status
        })
      )
      expect(Object.fromEntries(callers.map((caller, i) => [caller, actual[i]]))).toEqual(
        Object.fromEntries(callers.map((caller, i) => [caller, row.expected[i]]))
      )
    })
  }
})
