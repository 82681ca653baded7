import { Context } from "effect"

/**
 * Reads an HTML page into the facts the website implementation check judges (a real HTML
 * parser and small parsers for `srcset`, CSS `url()` and the `Link` header live behind it;
 * the rules that judge the facts are the application's, application/checks/).
 */

/** A URL the page makes the browser load, or mentions. */
export interface PageReference {
  /** As written (relative or absolute), entities decoded. */
  readonly url: string
  /** Where it was found, e.g. `<img srcset>`, `<link rel="stylesheet" href>`, `CSS url() in <style>`, `Link header`. */
  readonly context: string
  /** A short excerpt of the markup around it. */
  readonly snippet: string
  /**
   * True in a rendered resource context: `<img>`/`<source>` `src`/`srcset`, `<link href>` (not
   * `preconnect`/`dns-prefetch` hints), `<script src>`, CSS `url()` in `<style>` or `style=`,
   * the `Link` header, outside `<noscript>`. False for hints and anything inside `<noscript>`.
   */
  readonly rendered: boolean
}

/** Text the page carries that the browser does not load as a resource by itself. */
export interface PageText {
  /** `inline script`, `serialized data (…)`, `noscript`, `<meta …>`, `CSP header`, `CSP <meta>`. */
  readonly context: string
  readonly text: string
}

/** A start tag: its name and attributes (names lower case). */
export interface PageElement {
  readonly name: string
  readonly attributes: ReadonlyMap<string, string>
}

export interface PageFacts {
  readonly references: ReadonlyArray<PageReference>
  readonly texts: ReadonlyArray<PageText>
  /** The contents of `<meta name="generator">`. */
  readonly generators: ReadonlyArray<string>
  /** Start tags, in document order (bounded: a page of many thousands keeps its first ones). */
  readonly elements: ReadonlyArray<PageElement>
}

export interface PageInput {
  readonly html: string
  /** The response's `Link` header values. */
  readonly linkHeaders: ReadonlyArray<string>
  /** The response's `Content-Security-Policy` header values. */
  readonly cspHeaders: ReadonlyArray<string>
}

export class PageReader extends Context.Service<
  PageReader,
  {
    readonly read: (input: PageInput) => PageFacts
  }
>()("tenantry/application/ports/PageReader") {}
