// Small SVG and canvas drawings. Text in them is set as text nodes, like everywhere else.
import { s, fmt } from './dom.js';

// Viridis (perceptually uniform, as the service's own PNG maps), 9 stops from 0 to 1.
const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129],
  [92, 200, 99], [170, 220, 50], [253, 231, 37]];

export function viridis(t) {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}

/**
 * Error-rate colour: light green (no errors) through yellow (25 %) to light red (50 % and more, no better than a
 * coin on the question "right or wrong"); light enough that dark text stays legible.
 */
export function errorColour(rate) {
  if (rate === null || rate === undefined) return '#dddddd';
  const r = Math.min(1, Math.max(0, rate) * 2);
  return 'hsl(' + (120 * (1 - r)).toFixed(0) + ', 80%, 76%)';
}

/** The grid upsampled over a canvas of the given size (bilinear, by the browser's smoothing). */
export function heatCanvas(map, size) {
  const small = document.createElement('canvas');
  small.width = map.width;
  small.height = map.height;
  const ctx = small.getContext('2d');
  const pixels = ctx.createImageData(map.width, map.height);
  const span = map.max - map.min || 1;
  map.grid.forEach((row, y) => row.forEach((value, x) => {
    const [r, g, b] = viridis((value - map.min) / span);
    pixels.data.set([r, g, b, 255], 4 * (y * map.width + x));
  }));
  ctx.putImageData(pixels, 0, 0);
  const big = document.createElement('canvas');
  big.width = size;
  big.height = size;
  const bctx = big.getContext('2d');
  bctx.imageSmoothingEnabled = true;
  bctx.imageSmoothingQuality = 'high';
  // Cell centres on cell centres: drawImage maps the grid's outer edges to the picture's edges.
  bctx.drawImage(small, 0, 0, size, size);
  return big;
}

/** Horizontal bars for named values in [0, 1]. */
export function bars(title, entries, highlight) {
  const rowH = 26; const width = 560; const labelW = 250; const barW = width - labelW - 60;
  const svg = s('svg', { viewBox: '0 0 ' + width + ' ' + (entries.length * rowH + 6), width, height: entries.length * rowH + 6, role: 'img', 'aria-labelledby': 'bars-' + title.replace(/\W/g, '') },
    s('title', { id: 'bars-' + title.replace(/\W/g, '') }, title + ': ' + entries.map(([l, v]) => l + ' ' + fmt(v, 3)).join(', ')));
  entries.forEach(([label, value], i) => {
    const y = i * rowH + 4;
    svg.append(s('text', { x: 0, y: y + 15, class: 'label' }, label),
      s('rect', { x: labelW, y, width: barW, height: 18, class: 'track' }),
      s('rect', { x: labelW, y, width: Math.max(0, (value || 0) * barW), height: 18, class: label === highlight ? 'bar top' : 'bar' }),
      s('text', { x: labelW + barW + 6, y: y + 15, class: 'value' }, fmt(value, 3)));
  });
  return svg;
}

/** Axes of a unit square plot (0..1 on both), returning [svg, x(v), y(v)]. */
export function unitPlot(title, xLabel, yLabel) {
  const size = 260; const pad = 40;
  const x = v => pad + v * (size - pad - 10);
  const y = v => size - pad - v * (size - pad - 10);
  const id = 'plot-' + Math.random().toString(36).slice(2, 8);
  const svg = s('svg', { viewBox: '0 0 ' + size + ' ' + size, width: size, height: size, class: 'plot', role: 'img', 'aria-labelledby': id },
    s('title', { id }, title),
    s('rect', { x: x(0), y: y(1), width: x(1) - x(0), height: y(0) - y(1), class: 'frame' }),
    s('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: 'diagonal' }),
    [0, 0.5, 1].map(t => [s('text', { x: x(t), y: y(0) + 14, class: 'tick', 'text-anchor': 'middle' }, String(t)),
      s('text', { x: x(0) - 4, y: y(t) + 4, class: 'tick', 'text-anchor': 'end' }, String(t))]),
    s('text', { x: (x(0) + x(1)) / 2, y: size - 6, class: 'axis', 'text-anchor': 'middle' }, xLabel),
    s('text', { x: 12, y: (y(0) + y(1)) / 2, class: 'axis', 'text-anchor': 'middle', transform: 'rotate(-90 12 ' + (y(0) + y(1)) / 2 + ')' }, yLabel));
  return [svg, x, y];
}
