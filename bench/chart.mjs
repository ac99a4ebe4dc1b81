// A horizontal bar chart of requests per second, as a standalone SVG a person can read at a glance.
const escapeXml = (text) =>
  String(text).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

export function renderChart(rows) {
  const label = 190;
  const width = 760;
  const bar = 22;
  const gap = 8;
  const top = 40;
  const max = Math.max(...rows.map((row) => row.rps), 1);
  const colour = { adapter: '#2f6fdd', standalone: '#7a4fd0', refusal: '#2a9d6a' };
  const bars = rows.map((row, index) => {
    const y = top + index * (bar + gap);
    const length = Math.max(1, Math.round(((width - label - 110) * row.rps) / max));
    const fill = /\bbare\b|nginx/.test(row.name) ? '#9aa5b1' : (colour[row.group] ?? '#2f6fdd');
    return `<text x="${label - 8}" y="${y + 15}" text-anchor="end">${escapeXml(row.name)}</text>
<rect x="${label}" y="${y}" width="${length}" height="${bar}" rx="3" fill="${fill}"/>
<text x="${label + length + 6}" y="${y + 15}">${row.rps.toLocaleString('en')} req/s · p99 ${row.p99} ms</text>`;
  });
  const height = top + rows.length * (bar + gap) + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12" fill="#1f2933">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="22" font-size="15" font-weight="600">Postern relay vs bare routes (requests per second, higher is better; grey = bare route or nginx)</text>
${bars.join('\n')}
</svg>
`;
}
