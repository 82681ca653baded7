export const pgliteTemplatePath = new URL("../../.tmp/pglite-template.tar.gz", import.meta.url)
