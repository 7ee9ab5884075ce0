// A page's results as a two-column table: a row header naming the figure, a cell with its value.
export function fillResultsTable(
  table: HTMLTableElement,
  rows: readonly (readonly [string, string])[],
): void {
  table.replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = k;
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(th, td);
      return tr;
    }),
  );
}
