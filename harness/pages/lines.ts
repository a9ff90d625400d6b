/** One line of a page: its text and the line ending that followed it ("" for a last line without one). */
export interface Line {
  text: string;
  eol: string;
}

/**
 * Split keeping each line's own ending, so joining the lines gives back every byte: pages come
 * from editors and CMS exports with CRLF, LF or a missing final newline, and an update must not
 * rewrite lines it did not mean to touch.
 */
export function splitLines(text: string): Line[] {
  if (text === "") return [];
  return text.split(/(?<=\n)/).map((raw) => {
    const eol = /\r?\n$/.exec(raw)?.[0] ?? "";
    return { text: raw.slice(0, raw.length - eol.length), eol };
  });
}

export const joinLines = (lines: Line[]) => lines.map((l) => l.text + l.eol).join("");

/** The ending new lines should get: the first one the page uses, LF for a one-line page. */
export const pageEol = (lines: Line[]) => lines.find((l) => l.eol !== "")?.eol ?? "\n";
