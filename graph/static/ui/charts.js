// Charts as SVG drawn here: a line chart over time and horizontal bars. Each chart has a
// title and a text summary for screen readers (role="img" + aria-label), plus a data table.

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 180;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) element.append(child);
  return element;
}

function frame(label) {
  return svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-label': label,
    class: 'chart',
    preserveAspectRatio: 'none',
  });
}

function compact(value) {
  if (value >= 1000) return `${(value / 1000).toFixed(1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * Lines over time. ``series``: [{name, values: [number|null], class}], one value per label.
 */
export function lineChart(title, labels, series) {
  const all = series.flatMap((line) => line.values).filter((v) => v !== null);
  const top = Math.max(1, ...all);
  const x = (i) =>
    PAD.left + (labels.length < 2 ? 0 : (i * (WIDTH - PAD.left - PAD.right)) / (labels.length - 1));
  const y = (v) => HEIGHT - PAD.bottom - (v / top) * (HEIGHT - PAD.top - PAD.bottom);
  const summary = series
    .map((line) => `${line.name}: max ${compact(Math.max(0, ...line.values.filter((v) => v !== null)))}`)
    .join(', ');
  const chart = frame(`${title}. ${summary}`);
  for (const tick of [0, top / 2, top]) {
    chart.append(
      svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick), class: 'grid' }),
      svg('text', { x: PAD.left - 4, y: y(tick) + 4, 'text-anchor': 'end' }, compact(tick)),
    );
  }
  if (labels.length) {
    chart.append(
      svg('text', { x: PAD.left, y: HEIGHT - 6 }, labels[0]),
      svg('text', { x: WIDTH - PAD.right, y: HEIGHT - 6, 'text-anchor': 'end' }, labels.at(-1)),
    );
  }
  series.forEach((line, index) => {
    const points = line.values
      .map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
      .filter(Boolean);
    chart.append(svg('polyline', { points: points.join(' '), class: `line s${index}` }));
  });
  return chart;
}

/** Horizontal bars: ``bars`` is [{label, value}]. */
export function barChart(title, bars) {
  const top = Math.max(1, ...bars.map((bar) => bar.value));
  const row = 22;
  const height = Math.max(row, bars.length * row) + 4;
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: 'img',
    'aria-label': `${title}. ${bars.map((b) => `${b.label}: ${compact(b.value)}`).join(', ')}`,
    class: 'chart bars',
  });
  bars.forEach((bar, i) => {
    const width = Math.max(1, (bar.value / top) * (WIDTH - 200));
    chart.append(
      svg('text', { x: 0, y: i * row + 15 }, String(bar.label).slice(0, 18)),
      svg('rect', { x: 140, y: i * row + 3, width, height: row - 6, class: bar.class ?? 'bar' }),
      svg('text', { x: 146 + width, y: i * row + 15 }, compact(bar.value)),
    );
  });
  return chart;
}

export function legend(names) {
  const list = document.createElement('ul');
  list.className = 'legend';
  names.forEach((name, index) => {
    const item = document.createElement('li');
    item.className = `s${index}`;
    item.textContent = name;
    list.append(item);
  });
  return list;
}
