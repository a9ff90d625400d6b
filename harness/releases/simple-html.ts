/** One anchor of a PEP 503 project page, its href resolved and its fragment taken apart. */
export interface HtmlLink {
  filename: string;
  /** Absolute, without the #hash fragment (servers never see fragments anyway). */
  url: string;
  sha256?: string;
  requiresPython?: string;
  /** PEP 592: the anchor carries data-yanked (with or without a reason). */
  yanked: boolean;
}

// Quote-aware, because some servers leave ">" unescaped in data-requires-python=">=3.8".
const ANCHOR = /<a\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi;
const BASE = /<base\b((?:[^>"']|"[^"]*"|'[^']*')*)>/i;
const ATTR = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** Parses a PEP 503 project page; relative hrefs resolve against <base href> or the page URL, as pip does. */
export function parseSimpleHtml(html: string, pageUrl: string): HtmlLink[] {
  const baseHref = attributes(BASE.exec(html)?.[1] ?? "").get("href");
  const base = baseHref ? (tryUrl(baseHref, pageUrl)?.href ?? pageUrl) : pageUrl;
  const links: HtmlLink[] = [];
  for (const m of html.matchAll(ANCHOR)) {
    const attrs = attributes(m[1] ?? "");
    const href = attrs.get("href");
    const url = href ? tryUrl(href, base) : undefined;
    if (!url) continue;
    const sha256 = /^sha256=([0-9a-f]{64})$/i.exec(url.hash.slice(1))?.[1]?.toLowerCase();
    url.hash = "";
    const filename = safeDecode(url.pathname.slice(url.pathname.lastIndexOf("/") + 1));
    if (!filename) continue;
    links.push({
      filename,
      url: url.href,
      ...(sha256 ? { sha256 } : {}),
      ...(attrs.get("data-requires-python") ? { requiresPython: attrs.get("data-requires-python") } : {}),
      yanked: attrs.has("data-yanked"),
    });
  }
  return links;
}

function attributes(source: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of source.matchAll(ATTR)) {
    const name = m[1]?.toLowerCase();
    if (name && !attrs.has(name)) attrs.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ""));
  }
  return attrs;
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Enough of HTML's character references for attribute values (PyPI writes &gt;= and &lt;). */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== "#") return NAMED[ref.toLowerCase()] ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function tryUrl(href: string, base: string): URL | undefined {
  try {
    return new URL(href, base);
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
