import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import { type DatabaseTarget, databaseTargets } from "./databases.ts"

/** Event store + checkpoints + read models on a fresh database of the target. */
export const storageLayer = (target: DatabaseTarget) => SqlStorage.layerOn(target.layer())

export { databaseTargets }
