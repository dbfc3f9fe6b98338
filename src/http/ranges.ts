/** A closed byte interval [start, end]. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

const rangePattern = /^bytes=(\d*)-(\d*)$/;
const contentRangePattern = /^(?:bytes )?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/;
const maxDigits = 15;

export type RangeResult =
  | { readonly kind: "none" }
  | { readonly kind: "unsatisfiable" }
  | { readonly kind: "range"; readonly range: ByteRange };

/**
 * Parses a request `Range` header against a blob of `size` bytes. Only single ranges are
 * honoured; anything unparseable is ignored (the whole blob is served), as RFC 9110 allows.
 */
export function parseRange(header: string | null, size: number): RangeResult {
  if (!header) return { kind: "none" };
  const m = rangePattern.exec(header.trim());
  if (!m) return { kind: "none" };
  const [, first = "", last = ""] = m;
  if (first.length > maxDigits || last.length > maxDigits || (first === "" && last === ""))
    return { kind: "none" };
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return { kind: "none" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", range: { start, end } };
}

/** Parses an upload chunk's `Content-Range` (`<start>-<end>`); undefined when malformed. */
export function parseContentRange(header: string): ByteRange | undefined {
  const m = contentRangePattern.exec(header.trim());
  if (!m) return undefined;
  const [, first = "", last = ""] = m;
  if (first.length > maxDigits || last.length > maxDigits) return undefined;
  const start = Number(first);
  const end = Number(last);
  return end >= start ? { start, end } : undefined;
}
