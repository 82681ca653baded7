/** Dependencies point inward only: apps → adapters → application → domain. */
module.exports = {
  forbidden: [
    {
      name: "domain-is-pure",
      comment: "domain/ imports nothing but effect and itself",
      severity: "error",
      from: { path: "^domain/" },
      to: { pathNot: ["^domain/", "^node_modules/effect/"], dependencyTypesNot: ["type-only"] }
    },
    {
      name: "domain-types-are-pure",
      severity: "error",
      from: { path: "^domain/" },
      to: { pathNot: ["^domain/", "^node_modules/effect/"] }
    },
    {
      name: "application-points-inward",
      severity: "error",
      from: { path: "^application/" },
      to: { path: "^(adapters|apps|tests|bench)/" }
    },
    {
      name: "adapters-point-inward",
      severity: "error",
      from: { path: "^adapters/" },
      to: { path: "^(apps|tests|bench)/" }
    },
    {
      name: "application-uses-no-drivers",
      comment: "ports are Effect services; drivers belong in adapters",
      severity: "error",
      from: { path: "^application/" },
      to: { path: "^node_modules/", pathNot: "^node_modules/effect/" }
    },
    {
      name: "edge-stands-alone",
      comment: "the reference edge (edge/) shares the domain's types and nothing else of the control plane",
      severity: "error",
      from: { path: "^edge/" },
      to: { path: "^(application|adapters|apps|tests|bench)/" }
    },
    {
      name: "edge-runs-anywhere",
      comment: "edge/ outside edge/node/ runs in Workers too: Web APIs only, no package, no node: module",
      severity: "error",
      from: { path: "^edge/", pathNot: "^edge/node/" },
      to: { pathNot: ["^edge/", "^domain/edge/"], dependencyTypesNot: ["type-only"] }
    },
    {
      name: "only-apps-use-the-edge",
      comment:
        "the edge is a composition of its own: apps/ (and tests, benches) start it, nothing else imports it",
      severity: "error",
      from: { path: "^(domain|application|adapters)/" },
      to: { path: "^edge/" }
    },
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
    { name: "not-to-unresolvable", severity: "error", from: {}, to: { couldNotResolve: true } }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    // TypeScript 7 (the native compiler) has no JS API for dependency-cruiser's tsc parser.
    parser: "swc",
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"]
    }
  }
}
