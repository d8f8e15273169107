import * as api from '../api.js';
import { h, s, field, select, fmt, percent, when, table, announce } from '../dom.js';
import { errorColour } from '../charts.js';

/** Node positions: leaves spread evenly left to right, each inner node above the middle of its children. */
export function layout(nodes) {
  const byId = new Map(nodes.map(n => [n.id, n]));
  const position = new Map();
  let nextLeaf = 0;
  const place = n => {
    const kids = (n.children || []).map(id => byId.get(id)).filter(Boolean);
    if (!kids.length) {
      position.set(n.id, { x: nextLeaf++, depth: n.depth });
    } else {
      kids.forEach(place);
      const xs = kids.map(k => position.get(k.id).x);
      position.set(n.id, { x: (Math.min(...xs) + Math.max(...xs)) / 2, depth: n.depth });
    }
  };
  const root = nodes.find(n => n.parent === null || n.parent === undefined);
  if (root) place(root);
  return { position, leaves: Math.max(1, nextLeaf), depth: Math.max(0, ...nodes.map(n => n.depth)) };
}

function tree(run, onLeaf) {
  const { position, leaves, depth } = layout(run.nodes || []);
  const colW = 190; const rowH = 120; const w = leaves * colW; const height = (depth + 1) * rowH;
  const X = n => position.get(n.id).x * colW + colW / 2;
  const Y = n => n.depth * rowH + 40;
  const svg = s('svg', { viewBox: '0 0 ' + w + ' ' + height, width: w, height, class: 'tree error-tree', id: 'error-tree', role: 'group', 'aria-label': 'Error analysis tree, coloured by error rate' });
  for (const n of run.nodes || []) {
    const parent = (run.nodes || []).find(p => p.id === n.parent);
    if (parent) {
      svg.append(s('line', { x1: X(parent), y1: Y(parent) + 26, x2: X(n), y2: Y(n) - 26, class: 'edge' }),
        // The condition just above the child's box, where it cannot meet its sibling's.
        s('text', { x: X(n), y: Y(n) - 33, 'text-anchor': 'middle', class: 'edge-label' }, n.condition || ''));
    }
  }
  for (const n of run.nodes || []) {
    const label = (n.leaf ? 'Leaf: ' : 'Node: ') + n.path + ', ' + n.errors + ' of ' + n.size + ' wrong (' + percent(n.errorRate) + ')';
    const g = s('g', { class: n.leaf ? 'enode leaf' : 'enode', 'data-node': n.id },
      s('title', {}, label),
      s('rect', { x: X(n) - 75, y: Y(n) - 26, width: 150, height: 52, rx: 6, fill: errorColour(n.errorRate) }),
      s('text', { x: X(n), y: Y(n) - 6, 'text-anchor': 'middle' }, percent(n.errorRate) + ' wrong'),
      s('text', { x: X(n), y: Y(n) + 12, 'text-anchor': 'middle', class: 'score' }, n.errors + ' / ' + n.size));
    if (n.leaf) {
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      g.setAttribute('aria-label', label + '. Press to list its images.');
      g.addEventListener('click', () => onLeaf(n));
      g.addEventListener('keydown', e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onLeaf(n); } });
    }
    svg.append(g);
  }
  return svg;
}

function heatGrid(map) {
  if (!map || !map.cells || !map.cells.length) return null;
  const xs = map.x ? map.x.bins : ['all'];
  const ys = map.y ? map.y.bins : ['all'];
  const cell = (x, y) => map.cells.find(c => c.x === x && c.y === y);
  return h('table', { class: 'heat-grid', id: 'error-heat-grid' },
    h('caption', {}, 'Error rate by ' + (map.x ? map.x.feature : '') + (map.y ? ' and ' + map.y.feature : '')),
    h('thead', {}, h('tr', {}, h('td', {}), xs.map(b => h('th', { scope: 'col' }, b)))),
    h('tbody', {}, ys.map((yb, y) => h('tr', {}, h('th', { scope: 'row' }, yb), xs.map((_, x) => {
      const c = cell(x, y);
      return h('td', { class: 'num rate-' + (c && c.errorRate !== null ? Math.min(9, Math.floor(c.errorRate * 10)) : 'none') },
        c && c.size ? percent(c.errorRate) + ' (' + c.errors + '/' + c.size + ')' : '–');
    })))));
}

/** Error analysis: fit a tree over chosen features, draw it coloured by error rate, list a leaf's images, activate. */
export default function errors(main) {
  const error = h('p', { class: 'error', role: 'alert', id: 'errors-error' });
  const runs = h('div', { id: 'error-runs' });
  const view = h('div', { id: 'error-view' });
  const features = h('fieldset', { class: 'features' }, h('legend', {}, 'Features to split on'));
  const heatFeatures = h('input', { id: 'ea-heat', type: 'text', placeholder: 'e.g. confidence,width', autocomplete: 'off' });
  const depth = select({ id: 'ea-depth' }, [['3', '3'], ['2', '2'], ['4', '4']]);
  const minLeaf = h('input', { id: 'ea-min-leaf', type: 'number', min: '1', value: '20' });
  const model = select({ id: 'ea-model' }, []);

  api.get('/api/v1/models').then(models => {
    models.forEach(m => model.append(h('option', { value: m.id }, m.id + ' ' + m.version + (m.isDefault ? ' (default)' : ''))));
    const preferred = models.find(m => m.isDefault);
    if (preferred) model.value = preferred.id;
  }).catch(e => { error.textContent = e.message; });
  api.get('/api/v1/error-analyses/features').then(list => {
    list.forEach((f, i) => features.append(h('span', { class: 'check' },
      h('input', { type: 'checkbox', id: 'ea-f-' + i, value: f, checked: ['confidence', 'width', 'viewPosition'].includes(f) }),
      h('label', { for: 'ea-f-' + i }, f))));
  }).catch(e => { error.textContent = e.message; });

  main.append(h('h1', {}, 'Error analysis'),
    h('form', { class: 'card', id: 'error-form', onsubmit: e => { e.preventDefault(); fit(); } },
      h('div', { class: 'row' }, field('Model', model), field('Maximum depth', depth), field('Cases per leaf, at least', minLeaf),
        field('Heat map over (one or two features)', heatFeatures)),
      features, h('button', { type: 'submit', id: 'ea-fit' }, 'Fit a tree')),
    error, runs, view);

  async function fit() {
    error.textContent = '';
    const chosen = [...features.querySelectorAll('input:checked')].map(i => i.value);
    try {
      const run = await api.post('/api/v1/error-analyses', {
        cohort: { modelId: model.value }, features: chosen, maxDepth: Number(depth.value), minSamplesPerLeaf: Number(minLeaf.value),
        heatMap: heatFeatures.value.split(',').map(f => f.trim()).filter(Boolean).length
          ? heatFeatures.value.split(',').map(f => f.trim()).filter(Boolean) : null });
      await listRuns();
      show(run);
    } catch (e) {
      error.textContent = e.message;
    }
  }

  async function listRuns() {
    const page = await api.get('/api/v1/error-analyses', { limit: 20 });
    runs.replaceChildren(table('Fitted trees, newest first', [
      ['Fitted', r => h('button', { type: 'button', class: 'link', onclick: () => show(r) }, when(r.createdAt))],
      ['Model', r => r.cohort.modelId + ' ' + (r.cohort.modelVersion || '')],
      ['Features', r => (r.features || []).join(', ')],
      ['Cases', r => String(r.size)], ['Error rate', r => percent(r.overallErrorRate)],
      ['Active', r => (r.active ? 'yes' : 'no')]], page.items || []));
  }

  function show(run) {
    const leafImages = h('div', { id: 'leaf-images', 'aria-live': 'polite' });
    const toggle = h('button', { type: 'button', id: 'ea-activate', onclick: async () => {
      try {
        const changed = run.active ? await api.del('/api/v1/error-analyses/' + run.id + '/active')
          : await api.put('/api/v1/error-analyses/' + run.id + '/active');
        await listRuns();
        show(changed);
        announce(changed.active ? 'Run activated' : 'Run deactivated');
      } catch (e) {
        error.textContent = e.message;
      }
    } }, run.active ? 'Deactivate (stop reliability warnings from it)' : 'Activate (predictions get reliability from it)');
    view.replaceChildren(h('section', { class: 'card', 'aria-labelledby': 'tree-h' },
      h('h2', { id: 'tree-h' }, 'Tree of ' + when(run.createdAt) + (run.active ? ' (active)' : '')),
      h('p', {}, run.size + ' labelled cases, ' + run.errors + ' wrong (' + percent(run.overallErrorRate) + '). Colour: green few errors, red many. Press a leaf to list its images.'),
      toggle, h('div', { class: 'scroll' }, tree(run, leaf => listLeaf(run, leaf, leafImages))), leafImages, heatGrid(run.heatMap)));
  }

  /**
   * A leaf's images: the API tells each prediction which leaf of the active run it falls in (reliability.cases),
   * so the leaf's images are the scored predictions of the model whose reliability names this run and leaf.
   */
  async function listLeaf(run, leaf, out) {
    if (!run.active) {
      out.replaceChildren(h('p', {}, 'Activate this run to list the images of its leaves (predictions name the active run\'s leaf).'));
      return;
    }
    out.replaceChildren(h('p', {}, 'Looking for the images of "' + leaf.path + '"…'));
    const found = [];
    let cursor = null;
    try {
      for (let pages = 0; pages < 20; pages++) {
        const page = await api.get('/api/v1/predictions', { modelId: run.cohort.modelId, limit: 500, cursor });
        found.push(...(page.items || []).filter(p => p.reliability && p.reliability.analysisId === run.id && p.reliability.cases === leaf.path));
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      out.replaceChildren(table('Images in the leaf ' + leaf.path + ' (' + found.length + ')',
        [['Prediction', p => h('a', { href: '#/result/' + p.id }, p.imageId.slice(0, 8))], ['Class', p => p.predictedClass.code],
          ['Confidence', p => fmt(p.confidence, 2)]], found));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error' }, e.message));
    }
  }

  listRuns().then(() => null).catch(e => { error.textContent = e.message; });
}
