import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { MembersReadModel } from "../../application/ports/MembersReadModel.ts"
import type { InviteRow } from "../../application/projections/invites.ts"
import type { Role } from "../../domain/shared/roles.ts"
import { asNumber } from "./rows.ts"

interface InviteRecord {
  readonly tenant_id: string
  readonly invite_id: unknown
  readonly sealed_email: string
  readonly role: Role
  readonly token_hash: string
  readonly expires_at: string
  readonly invited_by: string
  readonly status: InviteRow["status"]
  readonly created_at: string
  readonly updated_at: string
}

const toInvite = (row: InviteRecord): InviteRow => ({
  tenantId: row.tenant_id,
  inviteId: asNumber(row.invite_id),
  sealedEmail: row.sealed_email,
  role: row.role,
  tokenHash: row.token_hash,
  expiresAt: row.expires_at,
  invitedBy: row.invited_by,
  status: row.status,
  createdAt: row.created_at,
  updatedAt: row.updated_at
})

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const members = (tenantId: string) =>
    sql<{ user_id: string; role: Role }>`
      SELECT user_id, role FROM tenant_members WHERE tenant_id = ${tenantId}
      ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'editor' THEN 2 ELSE 3 END, user_id`.pipe(
      Effect.map((rows) => rows.map((row) => ({ userId: row.user_id, role: row.role }))),
      Effect.orDie
    )

  const pendingInvites = (tenantId: string) =>
    sql<InviteRecord>`SELECT * FROM tenant_invites WHERE tenant_id = ${tenantId} AND status = 'pending'
      ORDER BY invite_id`.pipe(
      Effect.map((rows) => rows.map(toInvite)),
      Effect.orDie
    )

  const inviteByTokenHash = (tokenHash: string) =>
    sql<InviteRecord>`SELECT i.* FROM tenant_invites i JOIN tenants t ON t.tenant_id = i.tenant_id
      WHERE i.token_hash = ${tokenHash}`.pipe(
      Effect.map((rows) => (rows[0] === undefined ? undefined : toInvite(rows[0]))),
      Effect.orDie
    )

  return MembersReadModel.of({ members, pendingInvites, inviteByTokenHash })
})

export const layer = Layer.effect(MembersReadModel, make)
