import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * A checkout of an older release for the side-by-side bench (compare.ts) to start beside
 * this tree's server: `BENCH_BASELINE_DIR` when set (a checkout with its own
 * `node_modules`), else `git archive` of `BENCH_BASELINE_REF` (default the release before
 * the one HTTP stack, 6c22b01) unpacked under the temp directory, with its own `npm ci`,
 * made once and reused by later runs. `git archive` reads the repository and changes
 * nothing in it (no worktree is registered).
 */
export const baselineRef = process.env.BENCH_BASELINE_REF ?? "6c22b01"

export const baselineDir = (): string => {
  const given = process.env.BENCH_BASELINE_DIR
  if (given !== undefined && given !== "") {
    if (!existsSync(join(given, "apps/server/main.ts")))
      throw new Error(`BENCH_BASELINE_DIR=${given} holds no apps/server/main.ts`)
    if (!existsSync(join(given, "node_modules")))
      throw new Error(`BENCH_BASELINE_DIR=${given} has no node_modules: run npm ci there first`)
    return given
  }
  const dir = join(tmpdir(), `tenantry-baseline-${baselineRef}`)
  if (existsSync(join(dir, "node_modules/.bin/node"))) return dir
  console.error(`[bench] preparing the baseline ${baselineRef} in ${dir} (git archive + npm ci, once)`)
  mkdirSync(dir, { recursive: true })
  const archive = execFileSync("git", ["archive", "--format=tar", baselineRef], { maxBuffer: 1 << 30 })
  execFileSync("tar", ["-x", "-C", dir], { input: archive })
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] })
  return dir
}
