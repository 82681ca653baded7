import { Layer } from "effect"
import { Parser } from "htmlparser2"
import LinkHeader from "http-link-header"
import valueParser from "postcss-value-parser"
import { parseSrcset } from "srcset"
import {
  type PageElement,
  type PageFacts,
  type PageInput,
  PageReader,
  type PageReference,
  type PageText
} from "../../application/ports/PageReader.ts"

/**
 * The page reader on htmlparser2 (a forgiving, streaming HTML parser), with `srcset`
 * (srcset), CSS values (postcss-value-parser) and `Link` headers (http-link-header) each
 * read by its own small parser: no regular expression ever reads the markup.
 */

const maxElements = 20_000
const maxSnippet = 160

const clip = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > maxSnippet ? `${flat.slice(0, maxSnippet - 1)}…` : flat
}

const resourceHints = new Set(["preconnect", "dns-prefetch"])

/** Every `url()` (and `@import "…"`) in a piece of CSS, with the text around it. */
export const cssUrls = (css: string): ReadonlyArray<{ readonly url: string; readonly snippet: string }> => {
  const found: Array<{ url: string; snippet: string }> = []
  let parsed: valueParser.ParsedValue
  try {
    parsed = valueParser(css)
  } catch {
    return found
  }
  let importNext = false
  parsed.walk((node) => {
    if (node.type === "function" && node.value.toLowerCase() === "url") {
      const inner = node.nodes[0]
      const url = (inner?.value ?? "").trim()
      if (url !== "")
        found.push({
          url,
          snippet: clip(css.slice(Math.max(0, node.sourceIndex - 40), node.sourceEndIndex + 10))
        })
      importNext = false
      return false
    }
    if (node.type === "word" && node.value.toLowerCase() === "@import") {
      importNext = true
      return
    }
    if (importNext && node.type === "string") {
      found.push({ url: node.value, snippet: clip(`@import "${node.value}"`) })
    }
    if (node.type !== "space") importNext = false
    return
  })
  return found
}

const srcsetUrls = (value: string): ReadonlyArray<string> => {
  try {
    return parseSrcset(value).map((candidate) => candidate.url)
  } catch {
    return []
  }
}

const serializedContext = (attributes: Readonly<Record<string, string>>): string | undefined => {
  const type = (attributes.type ?? "").toLowerCase()
  const id = attributes.id
  if (id === "__NEXT_DATA__" || id === "__NUXT_DATA__") return `serialized data (#${id})`
  if (type.includes("json")) return `serialized data (${type})`
  return undefined
}

export const readPage = (input: PageInput): PageFacts => {
  const references: Array<PageReference> = []
  const texts: Array<PageText> = []
  const generators: Array<string> = []
  const elements: Array<PageElement> = []
  let noscriptDepth = 0
  let collecting: { kind: "script" | "style"; context: string; chunks: Array<string> } | undefined

  const reference = (url: string, context: string, snippet: string, rendered: boolean) => {
    const trimmed = url.trim()
    if (trimmed === "" || trimmed.startsWith("data:") || trimmed.startsWith("#")) return
    const hidden = noscriptDepth > 0
    references.push({
      url: trimmed,
      context: hidden ? `${context} in <noscript>` : context,
      snippet: clip(snippet),
      rendered: rendered && !hidden
    })
  }

  const tagSnippet = (name: string, attribute: string, value: string) => `<${name} ${attribute}="${value}">`

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (elements.length < maxElements)
          elements.push({ name, attributes: new Map(Object.entries(attributes)) })
        if (name === "noscript") noscriptDepth++
        const style = attributes.style
        if (style !== undefined) {
          for (const found of cssUrls(style)) reference(found.url, "CSS url() in style=", found.snippet, true)
        }
        switch (name) {
          case "img":
          case "source": {
            for (const attribute of ["src", "srcset"] as const) {
              const value = attributes[attribute]
              if (value === undefined) continue
              const urls = attribute === "srcset" ? srcsetUrls(value) : [value]
              for (const url of urls)
                reference(url, `<${name} ${attribute}>`, tagSnippet(name, attribute, value), true)
            }
            return
          }
          case "link": {
            const rel = (attributes.rel ?? "").toLowerCase().trim()
            const hint = rel.split(/\s+/).some((token) => resourceHints.has(token))
            const context = `<link rel="${rel}" href>`
            if (attributes.href !== undefined) {
              reference(attributes.href, context, tagSnippet("link", "href", attributes.href), !hint)
            }
            if (attributes.imagesrcset !== undefined) {
              for (const url of srcsetUrls(attributes.imagesrcset)) {
                reference(
                  url,
                  `<link rel="${rel}" imagesrcset>`,
                  tagSnippet("link", "imagesrcset", attributes.imagesrcset),
                  !hint
                )
              }
            }
            return
          }
          case "script": {
            if (attributes.src !== undefined) {
              reference(attributes.src, "<script src>", tagSnippet("script", "src", attributes.src), true)
              return
            }
            const context =
              noscriptDepth > 0 ? "noscript" : (serializedContext(attributes) ?? "inline script")
            collecting = { kind: "script", context, chunks: [] }
            return
          }
          case "style":
            collecting = { kind: "style", context: "CSS url() in <style>", chunks: [] }
            return
          case "meta": {
            const content = attributes.content
            if (content === undefined) return
            const label =
              attributes.name ?? attributes.property ?? attributes["http-equiv"] ?? attributes.itemprop ?? ""
            if ((attributes.name ?? "").toLowerCase() === "generator") generators.push(content)
            if ((attributes["http-equiv"] ?? "").toLowerCase() === "content-security-policy") {
              texts.push({ context: "CSP <meta>", text: content })
              return
            }
            texts.push({
              context: `<meta ${attributes.name !== undefined ? "name" : "property"}="${label}">`,
              text: content
            })
            return
          }
          default:
            return
        }
      },
      ontext(text) {
        if (collecting !== undefined) collecting.chunks.push(text)
        else if (noscriptDepth > 0 && text.trim() !== "") texts.push({ context: "noscript", text })
      },
      onclosetag(name) {
        if (name === "noscript" && noscriptDepth > 0) noscriptDepth--
        if (collecting === undefined || name !== collecting.kind) return
        const body = collecting.chunks.join("")
        if (collecting.kind === "style") {
          for (const found of cssUrls(body)) reference(found.url, collecting.context, found.snippet, true)
        } else if (body.trim() !== "") {
          texts.push({ context: collecting.context, text: body })
        }
        collecting = undefined
      }
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true }
  )
  parser.write(input.html)
  parser.end()

  for (const header of input.linkHeaders) {
    let refs: ReadonlyArray<{ uri: string; rel: string }> = []
    try {
      refs = LinkHeader.parse(header).refs
    } catch {
      continue
    }
    for (const ref of refs) {
      const hint = ref.rel
        .toLowerCase()
        .split(/\s+/)
        .some((token) => resourceHints.has(token))
      references.push({
        url: ref.uri,
        context: `Link header (rel=${ref.rel})`,
        snippet: clip(`Link: <${ref.uri}>; rel=${ref.rel}`),
        rendered: !hint
      })
    }
  }
  for (const header of input.cspHeaders) texts.push({ context: "CSP header", text: header })

  return { references, texts, generators, elements }
}

export const layer = Layer.succeed(PageReader, PageReader.of({ read: readPage }))
