// docker's progress bar as jsonmessage renders it: 50 columns, sizes in decimal units.

function size(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i ? `${v.toFixed(2).replace(/\.?0+$/, '')}${units[i]}` : `${v}B`;
}

/** `[=====>      ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const bar = filled >= width ? '='.repeat(width) : '='.repeat(filled) + '>' + ' '.repeat(Math.max(0, width - filled - 1));
  return `[${bar}] ${size(current).padStart(8)}/${size(total)}`;
}
