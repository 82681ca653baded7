import { databaseTargets, storageLayer } from "../support/storage.ts"
import { eventStoreContract } from "./EventStore.contract.ts"
import { sqlEventStoreContract } from "./SqlEventStore.contract.ts"

for (const target of databaseTargets) {
  eventStoreContract(target.name, storageLayer(target))
  sqlEventStoreContract(target.name, storageLayer(target))
}
