import { Effect } from "effect"
import type { MembershipRule } from "../../domain/membership/index.ts"
import {
  AlreadyExists,
  Conflict,
  Forbidden,
  Gone,
  InsufficientRole,
  NotFound,
  PlanLimit,
  type RateLimited,
  SlugTaken,
  TooManyRequests,
  ValidationFailed
} from "./api/errors.ts"

/** The HTTP answer any use-case refusal becomes. */
export type UseCaseResponse =
  | NotFound
  | Forbidden
  | InsufficientRole
  | Conflict
  | ValidationFailed
  | AlreadyExists
  | Gone
  | PlanLimit
  | SlugTaken
  | RateLimited
  | TooManyRequests

/** A refusal from the domain or the application: a stable `code`, and the details it names. */
export interface Refusal {
  readonly _tag: string
  readonly code: string
  readonly [detail: string]: unknown
}

const ruleMessages: Record<MembershipRule, string> = {
  not_admin: "Managing members needs the admin role or higher",
  owner_only: "Only owners can grant the owner role",
  above_own_role: "You cannot grant a role above your own",
  self: "You cannot change your own role or remove yourself",
  equal_or_higher: "Only owners can act on members whose role is equal to or higher than yours",
  last_owner: "A tenant must keep at least one owner"
}

const conflict = () => new Conflict({ message: "It kept changing under this request; retry" })

/**
 * The one table from refusal codes to responses. Every code a domain or application
 * error carries has a row; an error without a row is a bug and answers 500 (the
 * envelope logs it with the request id).
 */
const table: Record<string, (refusal: Refusal) => UseCaseResponse> = {
  // Who may ask (application/auth/policies.ts)
  tenant_not_found: () => new NotFound({ message: "No such tenant" }),
  not_a_member: () => new Forbidden({ message: "You are not a member of this tenant" }),
  insufficient_role: (refusal) =>
    new InsufficientRole({
      message: `This needs the ${String(refusal.required)} role or higher; you are ${String(refusal.actual)}`,
      requiredRole: String(refusal.required)
    }),
  principal_not_allowed: () => new Forbidden({ message: "This caller may not do that" }),
  // Input and limits (application/context.ts)
  invalid_input: (refusal) =>
    new ValidationFailed({
      message: String(refusal.message),
      errors: refusal.errors as Record<string, ReadonlyArray<string>>
    }),
  slug_taken: (refusal) =>
    new SlugTaken({
      message: `The slug "${String(refusal.slug)}" is already used`,
      slug: String(refusal.slug)
    }),
  plan_limit: (refusal) =>
    new PlanLimit({
      message: `Your ${String(refusal.plan)} plan allows ${String(refusal.maxTenants)} tenants`,
      plan: String(refusal.plan),
      maxTenants: Number(refusal.maxTenants)
    }),
  // Custom domains (domain/customDomain, application/customDomains)
  custom_domain_not_found: (refusal) =>
    new NotFound({ message: `No custom domain "${String(refusal.hostname)}" on this tenant` }),
  hostname_taken: (refusal) =>
    new AlreadyExists({ message: `The hostname ${String(refusal.hostname)} is already added to a tenant` }),
  domain_plan_limit: (refusal) =>
    new PlanLimit({
      message: `Your ${String(refusal.plan)} plan allows ${String(refusal.maxDomains)} custom domains per tenant`,
      plan: String(refusal.plan),
      maxDomains: Number(refusal.maxDomains)
    }),
  // Command handling (application/handleCommand.ts, the event store)
  concurrency_conflict: conflict,
  unique_key_taken: conflict,
  // Tenants (domain/tenant)
  tenant_already_exists: conflict,
  secret_shredded: () => new NotFound({ message: "No such tenant" }),
  // Webhooks (domain/webhook)
  webhook_not_found: (refusal) =>
    new NotFound({ message: `No webhook "${String(refusal.webhookId)}" on this tenant` }),
  webhook_already_exists: () => new Conflict({ message: "A webhook with this id exists already; retry" }),
  // Membership (domain/membership)
  membership_forbidden: (refusal) => {
    const rule = refusal.rule as MembershipRule
    return rule === "not_admin"
      ? new InsufficientRole({ message: ruleMessages.not_admin, requiredRole: "admin" })
      : new Forbidden({ message: ruleMessages[rule] })
  },
  member_not_found: (refusal) =>
    new NotFound({ message: `"${String(refusal.userId)}" is not a member of this tenant` }),
  // The messages of release 0.1, which the upgrade test holds answers to.
  invite_not_found: (refusal) =>
    new NotFound({
      message:
        refusal.by === "id"
          ? "No pending invite has this id"
          : "No invite has this token (a refreshed invite's old token stops working)"
    }),
  already_member: () => new AlreadyExists({ message: "That person is already a member of this tenant" }),
  invite_unusable: (refusal) => {
    const reason = refusal.reason as "expired" | "revoked" | "used"
    return new Gone({ message: `This invite was ${reason === "used" ? "already used" : reason}`, reason })
  },
  invite_email_mismatch: () => new Forbidden({ message: "This invite was sent to another email address" }),
  // Rate limits of use cases (the checks' CheckQuota, a domain's verify calls): 429 with Retry-After
  rate_limited: (refusal) => {
    const retryAfter = Math.max(1, Math.ceil(Number(refusal.retryAfter ?? refusal.retryAfterSeconds ?? 1)))
    return new TooManyRequests({
      message: `Too many requests lately; retry in ${retryAfter} seconds`,
      retryAfter
    })
  }
}

/** The codes the table answers (for the test that every refusal has a row). */
export const mappedCodes: ReadonlySet<string> = new Set(Object.keys(table))

const isRefusal = (error: unknown): error is Refusal =>
  typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"

/** The response a refusal becomes; a failure that is not a known refusal is a defect (500). */
export const toResponse = (error: unknown): Effect.Effect<never, UseCaseResponse> => {
  if (isRefusal(error) && Object.hasOwn(table, error.code)) return Effect.fail(table[error.code]!(error))
  return Effect.die(error)
}

/** Runs a use case for an endpoint: its refusals become responses through the one table. */
export const respond = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, UseCaseResponse, R> =>
  Effect.catch(effect, toResponse)
