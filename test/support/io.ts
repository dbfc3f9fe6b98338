import type { CommandIO } from "../../src/commands/garbagecollect.ts";

/** A command's output captured in memory, as a terminal (`isTTY`) or as a pipe. */
export function captureIO(isTTY = false): { out: string[]; err: string[]; io: CommandIO } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (text) => void out.push(text), err: (text) => void err.push(text), isTTY },
  };
}
