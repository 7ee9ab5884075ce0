// Right-aligned columns with a two-line header (title, then unit), in the manner of
// nccl-tests: '#'-prefixed header lines, one line per size, so `grep -v '^#'` leaves the data.

export interface Column {
  readonly title: string;
  readonly unit: string;
  readonly width?: number;
}

export class Table {
  private readonly widths: number[];

  constructor(private readonly columns: readonly Column[]) {
    this.widths = columns.map((c) => Math.max(c.width ?? 10, c.title.length, c.unit.length));
  }

  header(): string[] {
    const line = (pick: (c: Column) => string) => `#${this.cells(this.columns.map(pick))}`;
    return [line((c) => c.title), line((c) => c.unit)];
  }

  /**
   * A '#' line with each label starting over its column (nccl-tests' "out-of-place" and
   * "in-place" above their groups), so a label stays over its group as columns are added.
   */
  labels(at: readonly (readonly [column: number, label: string])[]): string {
    let line = '#';
    for (const [column, label] of at) {
      const start = 1 + this.widths.slice(0, column).reduce((sum, w) => sum + w + 2, 0);
      line = `${line.padEnd(start)}${line.length > start ? ' ' : ''}${label}`;
    }
    return line;
  }

  row(cells: readonly string[]): string {
    if (cells.length !== this.columns.length) {
      throw new Error(`table row has ${cells.length} cells for ${this.columns.length} columns`);
    }
    return ` ${this.cells(cells)}`;
  }

  private cells(cells: readonly string[]): string {
    return cells.map((c, i) => ` ${c.padStart(this.widths[i] as number)}`).join(' ');
  }
}
