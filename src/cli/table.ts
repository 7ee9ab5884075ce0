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
