import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SecretBox } from "../../application/ports/SecretBox.ts"
import { databaseTargets } from "../support/databases.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { type CapturedMail, startSmtpSink } from "../support/smtpSink.ts"
import { masterAdminId, startTestServer, type TestServer } from "../support/testServer.ts"

const tokenIn = (mail: CapturedMail): string => {
  const found = /inv_[A-Za-z0-9_-]{43}/.exec(mail.raw)
  if (found === null) throw new Error(`no invite token in the mail:\n${mail.raw}`)
  return found[0]
}

for (const target of databaseTargets) {
  describe(`Members over HTTP (${target.name})`, () => {
    let server: TestServer
    let smtp: Awaited<ReturnType<typeof startSmtpSink>>

    beforeAll(async () => {
      smtp = await startSmtpSink()
      server = await startTestServer(target, { SMTP_URL: smtp.url })
    })
    afterAll(async () => {
      await server?.close()
      await smtp?.close()
    })

    const as = (userId: string, email?: string) => server.token(userId, email === undefined ? {} : { email })
    const createTenant = (ownerToken: string) => createGenericTenant(server, ownerToken, "team")
    const mailTo = async (email: string, count: number) => {
      for (let i = 0; i < 50 && smtp.messages.filter((m) => m.to.includes(email)).length < count; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return smtp.messages.filter((m) => m.to.includes(email))
    }

    it("given an admin, when they invite a teammate who accepts from the mail, then the role changes and the removal all happen, with every change in the audit history and no email, token or hash in it", async () => {
      const owner = await as("user_owner_flow", "owner@example.com")
      const slug = await createTenant(owner)
      const members = `/api/tenants/${slug}/members`

      // invite → a real mail carrying the token
      const invited = await request(server, "POST", `${members}/invite`, {
        token: owner,
        body: { email: "Ann@Example.com", role: "editor" }
      })
      expect(invited.status).toBe(200)
      expect(invited.body).toMatchObject({ id: 1, email: "ann@example.com", role: "editor", emailSent: true })
      expect(invited.body.token).toMatch(/^inv_/)
      const [first] = await mailTo("ann@example.com", 1)
      expect(first).toBeDefined()
      expect(tokenIn(first!)).toBe(invited.body.token)
      expect(first!.raw).toContain(slug)

      // inviting the same email again refreshes the same invite: new token and expiry
      const refreshed = await request(server, "POST", `${members}/invite`, {
        token: owner,
        body: { email: "ann@example.com", role: "admin" }
      })
      expect(refreshed.status).toBe(200)
      expect(refreshed.body).toMatchObject({
        id: 1,
        role: "admin",
        createdAt: invited.body.createdAt,
        emailSent: true
      })
      expect(refreshed.body.token).not.toBe(invited.body.token)
      expect(refreshed.body.expiresAt >= invited.body.expiresAt).toBe(true)
      const mails = await mailTo("ann@example.com", 2)
      const token = tokenIn(mails[1]!)
      expect(token).toBe(refreshed.body.token)

      // admins and owners see the pending invite, with its email and never its token
      const listed = await request(server, "GET", members, { token: owner })
      expect(listed.status).toBe(200)
      expect(listed.body.members).toEqual([{ userId: "user_owner_flow", role: "owner" }])
      expect(listed.body.invites).toEqual([
        expect.objectContaining({
          id: 1,
          email: "ann@example.com",
          role: "admin",
          invitedBy: "user_owner_flow"
        })
      ])
      expect(JSON.stringify(listed.body)).not.toContain(token)

      // the old token no longer works; the mailed one does, for the invited email only
      const ann = await as("user_ann_flow", "ANN@example.com")
      expect(
        (
          await request(server, "POST", "/api/invites/accept", {
            token: ann,
            body: { token: invited.body.token }
          })
        ).status
      ).toBe(404)
      const stranger = await as("user_stranger_flow", "someone@example.com")
      const mismatch = await request(server, "POST", "/api/invites/accept", {
        token: stranger,
        body: { token }
      })
      expect(mismatch.status).toBe(403)
      expect(mismatch.body.error).toBe("forbidden")
      const accepted = await request(server, "POST", "/api/invites/accept", { token: ann, body: { token } })
      expect(accepted.status).toBe(200)
      expect(accepted.body).toEqual({ ok: true, slug, role: "admin" })
      const again = await request(server, "POST", "/api/invites/accept", { token: ann, body: { token } })
      expect(again.status).toBe(410)
      expect(again.body).toMatchObject({ error: "gone", reason: "used" })

      // the new member sees the tenant with their role
      const theirs = await request(server, "GET", "/api/tenants", { token: ann })
      expect(theirs.body.tenants).toEqual([expect.objectContaining({ slug, role: "admin" })])

      // role change: now a viewer, who sees members but no invites
      await request(server, "POST", `${members}/invite`, {
        token: owner,
        body: { email: "cy@example.com", role: "viewer" }
      })
      const changed = await request(server, "POST", `${members}/update-role`, {
        token: owner,
        body: { userId: "user_ann_flow", role: "viewer" }
      })
      expect(changed.status).toBe(200)
      expect(changed.body).toMatchObject({ userId: "user_ann_flow", role: "viewer" })
      const asViewer = await request(server, "GET", members, { token: ann })
      expect(asViewer.status).toBe(200)
      expect(asViewer.body.invites).toEqual([])
      expect(asViewer.body.members).toEqual([
        { userId: "user_owner_flow", role: "owner" },
        { userId: "user_ann_flow", role: "viewer" }
      ])

      // removal: gone from the tenant
      const removed = await request(server, "POST", `${members}/remove`, {
        token: owner,
        body: { userId: "user_ann_flow" }
      })
      expect(removed.status).toBe(200)
      expect(removed.body).toEqual({ ok: true, userId: "user_ann_flow" })
      expect((await request(server, "GET", `/api/tenants/${slug}`, { token: ann })).status).toBe(403)
      expect((await request(server, "GET", "/api/tenants", { token: ann })).body.tenants).toEqual([])

      // the audit history: every change, its actor, and nothing secret
      const audit = await request(server, "GET", `/api/tenants/${slug}/audit-events`, { token: owner })
      const lines = [...audit.body.events].reverse()
      expect(lines.map((e: { type: string }) => e.type)).toEqual([
        "TenantCreated",
        "MemberInvited",
        "InviteRefreshed",
        "InviteAccepted",
        "MemberInvited",
        "MemberRoleChanged",
        "MemberRemoved"
      ])
      expect(lines.map((e: { actor: { id: string } }) => e.actor.id)).toEqual([
        "user_owner_flow",
        "user_owner_flow",
        "user_owner_flow",
        "user_ann_flow",
        "user_owner_flow",
        "user_owner_flow",
        "user_owner_flow"
      ])
      const auditText = JSON.stringify(audit.body)
      for (const secret of [
        "ann@example.com",
        "cy@example.com",
        token,
        invited.body.token,
        "tokenHash",
        "sealed",
        "Fingerprint"
      ]) {
        expect(auditText).not.toContain(secret)
      }
    })

    it("given the event log, then emails are stored only as ciphertext that deleting the tenant shreds", async () => {
      const owner = await as("user_owner_shred")
      const slug = await createTenant(owner)
      const invited = await request(server, "POST", `/api/tenants/${slug}/members/invite`, {
        token: owner,
        body: { email: "shred.me@example.com", role: "viewer" }
      })
      expect(invited.status).toBe(200)
      const stored = await server.run(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const plaintext = yield* sql<{ n: unknown }>`
            SELECT count(*) AS n FROM events WHERE data::text ILIKE '%shred.me@example.com%'`
          expect(Number(plaintext[0]!.n)).toBe(0)
          return yield* sql<{ tenant_id: string; data: unknown }>`
            SELECT e.tenant_id, e.data FROM events e JOIN tenants t ON t.tenant_id = e.tenant_id
            WHERE t.slug = ${slug} AND e.type = 'MemberInvited'`
        })
      )
      expect(stored).toHaveLength(1)
      const data = (typeof stored[0]!.data === "string" ? JSON.parse(stored[0]!.data) : stored[0]!.data) as {
        sealedEmail: string
        tokenHash: string
      }
      expect(JSON.stringify(data)).not.toContain("shred.me@example.com")
      expect(JSON.stringify(data)).not.toContain(invited.body.token)
      const tenantId = stored[0]!.tenant_id
      const open = Effect.gen(function* () {
        const box = yield* SecretBox
        return yield* Effect.result(box.open(tenantId, data.sealedEmail))
      })
      expect(await server.run(open)).toMatchObject({ _tag: "Success", success: "shred.me@example.com" })
      expect((await request(server, "DELETE", `/api/tenants/${slug}`, { token: owner })).status).toBe(200)
      expect(await server.run(open)).toMatchObject({ _tag: "Failure", failure: { _tag: "SecretShredded" } })
    })

    it("given invite and management requests, when they break a rule, then the answers are 400 validation_failed, 403, 404 and 409 already_exists", async () => {
      const owner = await as("user_owner_rules")
      const slug = await createTenant(owner)
      const members = `/api/tenants/${slug}/members`
      const post = (path: string, body: unknown, token = owner) =>
        request(server, "POST", `${members}${path}`, { token, body })

      const badEmail = await post("/invite", { email: "not-an-email", role: "viewer" })
      expect(badEmail.status).toBe(400)
      expect(badEmail.body.error).toBe("validation_failed")
      expect(Object.keys(badEmail.body.errors)).toContain("email")
      const badRole = await post("/invite", { email: "x@example.com", role: "superuser" })
      expect(badRole.status).toBe(400)
      expect(Object.keys(badRole.body.errors)).toContain("role")
      expect((await post("/revoke-invite", { inviteId: "1" })).status).toBe(400)
      expect((await post("/revoke-invite", { inviteId: 99 })).status).toBe(404)
      expect((await post("/remove", { userId: "user_nobody" })).status).toBe(404)

      // an admin joins, then tries what only owners may do
      const adminInvite = await post("/invite", { email: "admin@example.com", role: "admin" })
      const admin = await as("user_admin_rules")
      expect(
        (
          await request(server, "POST", "/api/invites/accept", {
            token: admin,
            body: { token: adminInvite.body.token }
          })
        ).status
      ).toBe(200)
      const escalate = await post("/invite", { email: "boss@example.com", role: "owner" }, admin)
      expect(escalate.status).toBe(403)
      expect(escalate.body.message).toMatch(/owner/)
      expect((await post("/update-role", { userId: "user_admin_rules", role: "editor" }, admin)).status).toBe(
        403
      )
      expect((await post("/remove", { userId: "user_owner_rules" }, admin)).status).toBe(403)
      expect((await post("/update-role", { userId: "user_owner_rules", role: "viewer" }, admin)).status).toBe(
        403
      )

      // inviting someone who is already a member
      const dup = await post("/invite", { email: "ADMIN@example.com", role: "viewer" })
      expect(dup.status).toBe(409)
      expect(dup.body.error).toBe("already_exists")

      // revoking: the token stops working, a second revoke finds nothing
      const pending = await post("/invite", { email: "later@example.com", role: "editor" }, admin)
      expect(pending.body.id).toBe(2)
      expect(await post("/revoke-invite", { inviteId: 2 }, admin)).toMatchObject({
        status: 200,
        body: { ok: true, inviteId: 2 }
      })
      expect((await post("/revoke-invite", { inviteId: 2 }, admin)).status).toBe(404)
      const late = await as("user_late")
      const revoked = await request(server, "POST", "/api/invites/accept", {
        token: late,
        body: { token: pending.body.token }
      })
      expect(revoked.status).toBe(410)
      expect(revoked.body.reason).toBe("revoked")
      expect(
        (await request(server, "POST", "/api/invites/accept", { token: late, body: { token: "inv_nope" } }))
          .status
      ).toBe(404)
      expect((await request(server, "POST", "/api/invites/accept", { token: late, body: {} })).status).toBe(
        400
      )
    })

    it("given ownership transfer, when the owner promotes a member to owner, then the new owner may demote and remove the previous one, and no caller (master admins included) leaves the tenant without an owner", async () => {
      const owner = await as("user_owner_transfer")
      const slug = await createTenant(owner)
      const members = `/api/tenants/${slug}/members`
      const post = (path: string, body: unknown, token: string) =>
        request(server, "POST", `${members}${path}`, { token, body })
      const invite = await post("/invite", { email: "heir@example.com", role: "admin" }, owner)
      const heir = await as("user_heir")
      await request(server, "POST", "/api/invites/accept", {
        token: heir,
        body: { token: invite.body.token }
      })
      const master = await as(masterAdminId)

      const last = await post("/remove", { userId: "user_owner_transfer" }, master)
      expect(last.status).toBe(403)
      expect(last.body.message).toMatch(/at least one owner/)
      expect(
        (await post("/update-role", { userId: "user_owner_transfer", role: "admin" }, master)).status
      ).toBe(403)

      expect((await post("/update-role", { userId: "user_heir", role: "owner" }, owner)).status).toBe(200)
      expect((await post("/update-role", { userId: "user_heir", role: "admin" }, heir)).status).toBe(403)
      expect(
        await post("/update-role", { userId: "user_owner_transfer", role: "admin" }, heir)
      ).toMatchObject({
        status: 200,
        body: { role: "admin" }
      })
      expect((await post("/remove", { userId: "user_owner_transfer" }, heir)).status).toBe(200)
      const now = await request(server, "GET", members, { token: heir })
      expect(now.body.members).toEqual([{ userId: "user_heir", role: "owner" }])
      expect((await post("/remove", { userId: "user_heir" }, master)).status).toBe(403)
    })
  })
}

describe("Invites with a short expiry and an unreachable mail server", () => {
  let server: TestServer
  beforeAll(async () => {
    // Port 1 on loopback: nothing listens, so the SMTP connection is refused at once.
    server = await startTestServer(databaseTargets[0]!, {
      INVITE_TTL_HOURS: "0.0003",
      SMTP_URL: "smtp://127.0.0.1:1"
    })
  })
  afterAll(async () => {
    await server?.close()
  })

  it("given INVITE_TTL_HOURS and a mail server that refuses, when an invite is made and taken up too late, then emailSent is false and accepting is 410 gone (expired)", async () => {
    const owner = await server.token("user_owner_expiry")
    const slug = `expiry-${Date.now().toString(36)}`
    await request(server, "POST", "/api/tenants", {
      token: owner,
      body: { slug, cms: "generic", apiOrigin: "https://api.example.com" }
    })
    const invited = await request(server, "POST", `/api/tenants/${slug}/members/invite`, {
      token: owner,
      body: { email: "slow@example.com", role: "viewer" }
    })
    expect(invited.status).toBe(200)
    expect(invited.body.emailSent).toBe(false)
    const ttl = Date.parse(invited.body.expiresAt) - Date.parse(invited.body.createdAt)
    expect(ttl).toBe(Math.round(0.0003 * 3_600_000))
    await new Promise((resolve) => setTimeout(resolve, ttl + 200))
    const slow = await server.token("user_slow")
    const late = await request(server, "POST", "/api/invites/accept", {
      token: slow,
      body: { token: invited.body.token }
    })
    expect(late.status).toBe(410)
    expect(late.body).toMatchObject({ error: "gone", reason: "expired" })
  })
})
