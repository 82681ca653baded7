import { Effect } from "effect"
import { type Slug, slugMessages, slugProblem } from "../../domain/tenant/index.ts"
import { InvalidInput } from "../context.ts"
import { withDomains, withDomainsOne } from "../customDomains/summary.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import { tenantUseCase, userUseCase } from "../useCase.ts"

/** The tenant's configuration and state, as its read model has it. */
export const getTenant = tenantUseCase("getTenant", "viewer", (_context, access) =>
  withDomainsOne(access.tenant)
)

/** Every live tenant the caller belongs to, with their role, oldest first. */
export const listTenants = userUseCase("listTenants", (_context, user) =>
  Effect.gen(function* () {
    const tenants = yield* (yield* TenantReadModel).listForUser(user.userId)
    const views = yield* withDomains(tenants.map((tenant) => tenant.view))
    return tenants.map((tenant, i) => ({ ...tenant, view: views[i]! }))
  })
)

/** Whether a slug is free: a malformed one is invalid input, a reserved one never available. */
export const slugAvailability = userUseCase("slugAvailability", (_context, _user, slug: string) =>
  Effect.gen(function* () {
    const problem = slugProblem(slug)
    if (problem === "format") {
      return yield* new InvalidInput({
        message: "The slug is invalid",
        errors: { slug: [slugMessages.format] }
      })
    }
    if (problem === "reserved") return { slug, available: false }
    const readModel = yield* TenantReadModel
    const taken = yield* readModel.bySlug(slug as Slug)
    return { slug, available: taken === undefined }
  })
)
