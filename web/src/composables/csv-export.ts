/** Exporting a paged list as a CSV file: reads every page (newest first) and offers the file for download. */
import { ref } from 'vue';
import { toCsv, type CsvColumn } from '../lib/csv';

/** One page of a connection, reduced to its rows and where it ends. */
export interface CsvPage<T> {
  readonly rows: readonly T[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

/** Most pages one export reads (of the largest page size the server allows, 200: 40,000 rows). */
export const MAX_EXPORT_PAGES = 200;

export function useCsvExport<T>(columns: readonly CsvColumn<T>[], fetchPage: (after: string | null) => Promise<CsvPage<T>>) {
  const busy = ref(false);
  const error = ref<string | null>(null);
  /** How many rows the last export wrote, and whether it stopped at the page cap. */
  const last = ref<{ rows: number; truncated: boolean } | null>(null);

  async function exportTo(filename: string): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      const rows: T[] = [];
      let after: string | null = null;
      let pages = 0;
      let more = true;
      while (more && pages < MAX_EXPORT_PAGES) {
        const page: CsvPage<T> = await fetchPage(after);
        rows.push(...page.rows);
        pages++;
        more = page.hasNextPage && page.endCursor !== null;
        after = page.endCursor;
      }
      const url = URL.createObjectURL(new Blob([toCsv(columns, rows)], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      last.value = { rows: rows.length, truncated: more };
    } catch (e) {
      error.value = e instanceof Error ? e.message : 'Export failed.';
    } finally {
      busy.value = false;
    }
  }
  return { busy, error, last, exportTo };
}

/** Today's date as YYYY-MM-DD (local), for file names. */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
