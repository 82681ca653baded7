import { logsTargets } from "../support/logsDatabases.ts"
import { requestLogsContract } from "./RequestLogs.contract.ts"

for (const target of logsTargets) requestLogsContract(target.name, target.layer())
