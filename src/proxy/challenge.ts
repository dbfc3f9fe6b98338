/** One authentication challenge from a `WWW-Authenticate` header. */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const tokenPattern = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;

/**
 * Parses `Bearer realm="...",service="...",scope="..."` and `Basic realm="..."` challenges;
 * several may share one header. Scheme names are lower-cased.
 */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const challenges: Challenge[] = [];
  let rest = header.trim();
  while (rest.length > 0) {
    const scheme = /^([A-Za-z][A-Za-z0-9_-]*)\s*/.exec(rest);
    if (!scheme) break;
    rest = rest.slice(scheme[0].length);
    const params: Record<string, string> = {};
    tokenPattern.lastIndex = 0;
    let consumed = 0;
    for (;;) {
      tokenPattern.lastIndex = consumed;
      const match = tokenPattern.exec(rest);
      if (!match) break;
      params[(match[1] as string).toLowerCase()] =
        match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] ?? "");
      consumed = tokenPattern.lastIndex;
    }
    rest = rest.slice(consumed).replace(/^[\s,]+/, "");
    challenges.push({ scheme: (scheme[1] as string).toLowerCase(), params });
  }
  return challenges;
}
