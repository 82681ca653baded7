import * as InMemoryEventStore from "../../adapters/memory/InMemoryEventStore.ts"
import { eventStoreContract } from "./EventStore.contract.ts"

eventStoreContract("in memory", InMemoryEventStore.layer)
