import { redisUrl } from "../support/services.ts"
import { edgeConformance } from "./edgeConformance.ts"
import { nodeHost } from "./support/hosts.ts"

// The Node host (`npm run edge`) over the file KV, and over Redis when TEST_REDIS_URL is set.
edgeConformance("Node host, file KV", nodeHost({ kind: "files" }))
if (redisUrl !== undefined) edgeConformance("Node host, Redis KV", nodeHost({ kind: "redis", url: redisUrl }))
