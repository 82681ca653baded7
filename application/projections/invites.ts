import type { Role } from "../../domain/shared/roles.ts"
import { type DomainEvent, typesOf } from "../events/catalog.ts"

/**
 * `tenant_invites`: one row per invite, for listing pending invites and finding an
 * invite by its token hash. The email stays sealed; the hash never leaves the server.
 */
export interface InviteRow {
  readonly tenantId: string
  readonly inviteId: number
  readonly sealedEmail: string
  readonly role: Role
  readonly tokenHash: string
  readonly expiresAt: string
  readonly invitedBy: string
  readonly status: "pending" | "accepted" | "revoked"
  readonly createdAt: string
  readonly updatedAt: string
}

export const inviteHandles = typesOf(
  "MemberInvited",
  "InviteRefreshed",
  "InviteRevoked",
  "InviteAccepted",
  "TenantDeleted"
)

/** What one event does to a tenant's invites: a new row, a change to one, or all of them gone. */
export type InviteChange =
  | { readonly _tag: "insert"; readonly row: InviteRow }
  | {
      readonly _tag: "update"
      readonly tenantId: string
      readonly inviteId: number
      readonly changes: Partial<
        Pick<InviteRow, "role" | "tokenHash" | "expiresAt" | "invitedBy" | "status" | "updatedAt">
      >
    }
  | { readonly _tag: "clear"; readonly tenantId: string }

export const inviteChanges = (tenantId: string, event: DomainEvent): ReadonlyArray<InviteChange> => {
  switch (event._tag) {
    case "MemberInvited":
      return [
        {
          _tag: "insert",
          row: {
            tenantId,
            inviteId: event.inviteId,
            sealedEmail: event.sealedEmail,
            role: event.role,
            tokenHash: event.tokenHash,
            expiresAt: event.expiresAt,
            invitedBy: event.invitedBy,
            status: "pending",
            createdAt: event.at,
            updatedAt: event.at
          }
        }
      ]
    case "InviteRefreshed": {
      const { role, tokenHash, expiresAt, invitedBy } = event
      const changes = {
        role,
        tokenHash,
        expiresAt,
        invitedBy,
        status: "pending" as const,
        updatedAt: event.at
      }
      return [{ _tag: "update", tenantId, inviteId: event.inviteId, changes }]
    }
    case "InviteRevoked":
      return [
        {
          _tag: "update",
          tenantId,
          inviteId: event.inviteId,
          changes: { status: "revoked", updatedAt: event.at }
        }
      ]
    case "InviteAccepted":
      return [
        {
          _tag: "update",
          tenantId,
          inviteId: event.inviteId,
          changes: { status: "accepted", updatedAt: event.at }
        }
      ]
    case "TenantDeleted":
      return [{ _tag: "clear", tenantId }]
    default:
      return []
  }
}
