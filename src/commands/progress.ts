/** Progress of a warm run: one line per image and a total, redrawn in place on a terminal. */
export interface ImageProgress {
  readonly ref: string;
  total: number;
  done: number;
  state: "running" | "done" | "failed";
}

const barWidth = 24;

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function bar(done: number, total: number): string {
  const filled = total > 0 ? Math.min(barWidth, Math.round((done / total) * barWidth)) : 0;
  return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]`;
}

/** The lines of the progress display; the caller moves the cursor back over the previous ones. */
export function renderProgress(images: readonly ImageProgress[]): string[] {
  const lines = images.map((image) => {
    const status =
      image.state === "failed"
        ? "failed"
        : `${formatBytes(image.done)} / ${formatBytes(image.total)}`;
    return `${bar(image.done, image.total)} ${image.ref}  ${status}`;
  });
  const done = images.reduce((sum, image) => sum + image.done, 0);
  const total = images.reduce((sum, image) => sum + image.total, 0);
  lines.push(`${bar(done, total)} total  ${formatBytes(done)} / ${formatBytes(total)}`);
  return lines;
}

/** Redraws the display in place: up over the lines drawn last time, then the new ones. */
export class TerminalRenderer {
  private drawn = 0;

  constructor(private readonly write: (text: string) => void) {}

  draw(images: readonly ImageProgress[]): void {
    const lines = renderProgress(images);
    const up = this.drawn > 0 ? `\u001b[${this.drawn}A` : "";
    this.write(`${up}${lines.map((line) => `\r\u001b[2K${line}`).join("\n")}\n`);
    this.drawn = lines.length;
  }
}
