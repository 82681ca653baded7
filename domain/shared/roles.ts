import { Schema } from "effect"

/** Lowest to highest. */
export const roles = ["viewer", "editor", "admin", "owner"] as const
export const Role = Schema.Literals(roles)
export type Role = typeof Role.Type

export const roleRank = (role: Role): number => roles.indexOf(role)

/** True when `held` is at least `required`. */
export const hasRole = (held: Role, required: Role): boolean => roleRank(held) >= roleRank(required)
