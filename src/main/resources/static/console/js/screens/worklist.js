import * as api from '../api.js';
import { h, field, select, fmt, when, instant, announce } from '../dom.js';

const CLASSES = [['', 'Any'], ['CVX0', 'CVX0'], ['CVX1', 'CVX1'], ['CVX2', 'CVX2'], ['CVX3', 'CVX3']];
const PRIORITIES = [['', 'Any'], ['stat', 'Stat'], ['routine', 'Routine']];
const REFRESH_MS = 15000;

/** Rows in the order of a column: the page as loaded (the API pages newest first), sorted here. */
const SORTS = {
  created: p => p.createdAt,
  class: p => p.predictedClass.index,
  confidence: p => p.confidence,
  CVX0: p => p.probabilities.CVX0, CVX1: p => p.probabilities.CVX1,
  CVX2: p => p.probabilities.CVX2, CVX3: p => p.probabilities.CVX3,
  reliability: p => (p.reliability ? p.reliability.errorRate : -1),
  priority: p => (p.priority === 'stat' ? 1 : 0),
};

export function rowsFor(predictions, sort) {
  if (!sort) return predictions;
  const key = SORTS[sort.column];
  return [...predictions].sort((a, b) => {
    const x = key(a); const y = key(b);
    return (x < y ? -1 : x > y ? 1 : 0) * (sort.descending ? -1 : 1);
  });
}

export function predictionTable(predictions, sort, onSort, caption) {
  const header = (label, column) => h('th', { scope: 'col', 'aria-sort': sort && sort.column === column ? (sort.descending ? 'descending' : 'ascending') : 'none' },
    h('button', { type: 'button', class: 'sort', 'data-sort': column, onclick: () => onSort(column) }, label));
  const rows = rowsFor(predictions, sort);
  return h('table', { id: 'worklist-table' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, header('Scored', 'created'), header('Priority', 'priority'), h('th', { scope: 'col' }, 'Image'), header('Class', 'class'),
      header('Confidence', 'confidence'), header('P(CVX0)', 'CVX0'), header('P(CVX1)', 'CVX1'), header('P(CVX2)', 'CVX2'),
      header('P(CVX3)', 'CVX3'), header('Reliability', 'reliability'), h('th', { scope: 'col' }, 'Model'))),
    h('tbody', {}, rows.map(p => h('tr', { class: p.reliability && p.reliability.flagged ? 'flagged' : null },
      h('td', {}, h('a', { href: '#/result/' + p.id }, when(p.createdAt))),
      h('td', {}, p.priority === 'stat' ? h('span', { class: 'stat' }, 'STAT') : (p.priority || '–')),
      h('td', { class: 'mono' }, p.imageId.slice(0, 8)),
      h('td', {}, p.predictedClass.code + ' ' + p.predictedClass.name),
      h('td', { class: 'num' }, fmt(p.confidence, 2)),
      ['CVX0', 'CVX1', 'CVX2', 'CVX3'].map(c => h('td', { class: 'num' }, fmt(p.probabilities[c], 2))),
      h('td', {}, p.reliability ? (p.reliability.flagged ? '⚠ ' : '') + p.reliability.summary : '–'),
      h('td', {}, p.model.id + ' ' + p.model.version)))));
}

/** Worklist: predictions with the API's filters, sortable on the page, cursor-paged, refreshed while on page one. */
export default function worklist(main, args, context) {
  const state = { cursors: [null], page: 0, sort: null, items: [], next: null };
  const predictedClass = select({ id: 'wl-class' }, CLASSES);
  const probabilityOf = select({ id: 'wl-prob-of' }, CLASSES);
  const minProbability = h('input', { id: 'wl-min', type: 'number', min: '0', max: '1', step: '0.05' });
  const maxProbability = h('input', { id: 'wl-max', type: 'number', min: '0', max: '1', step: '0.05' });
  const from = h('input', { id: 'wl-from', type: 'datetime-local' });
  const to = h('input', { id: 'wl-to', type: 'datetime-local' });
  const model = select({ id: 'wl-model' }, [['', 'Any']]);
  const priority = select({ id: 'wl-priority' }, PRIORITIES);
  const flaggedOnly = h('input', { id: 'wl-flagged', type: 'checkbox' });
  const live = h('input', { id: 'wl-live', type: 'checkbox', checked: true });
  const accession = h('input', { id: 'wl-accession', type: 'text', autocomplete: 'off' });
  const study = h('input', { id: 'wl-study', type: 'text', autocomplete: 'off' });
  const error = h('p', { class: 'error', role: 'alert' });
  const results = h('div', { id: 'worklist-results' });
  const pager = h('div', { class: 'pager' });

  api.get('/api/v1/models').then(models => {
    for (const m of models) model.append(h('option', { value: m.id }, m.id + ' ' + m.version + (m.isDefault ? ' (default)' : '')));
  }).catch(() => {});

  const filters = h('form', { class: 'card filters', id: 'worklist-filters', onsubmit: e => { e.preventDefault(); state.cursors = [null]; state.page = 0; load(); } },
    h('div', { class: 'row' }, field('Predicted class', predictedClass), field('Probability of', probabilityOf),
      field('At least', minProbability), field('At most', maxProbability)),
    h('div', { class: 'row' }, field('Scored from', from), field('Scored until', to), field('Model', model), field('Priority', priority),
      h('div', { class: 'field check' }, flaggedOnly, h('label', { for: 'wl-flagged' }, 'Reliability flagged only (this page)')),
      h('div', { class: 'field check' }, live, h('label', { for: 'wl-live' }, 'Refresh page one every 15 s'))),
    h('button', { type: 'submit', id: 'wl-apply' }, 'Apply filters'));
  const lookup = h('form', { class: 'card filters', id: 'worklist-lookup', onsubmit: e => { e.preventDefault(); search(); } },
    h('div', { class: 'row' }, field('Accession number', accession), field('Study Instance UID', study)),
    h('button', { type: 'submit' }, 'Find by hospital identifiers'));

  main.append(h('h1', {}, 'Worklist'), filters, lookup, error, results, pager);

  function params() {
    return {
      predictedClass: predictedClass.value, probabilityOf: probabilityOf.value,
      minProbability: probabilityOf.value ? minProbability.value : '', maxProbability: probabilityOf.value ? maxProbability.value : '',
      createdFrom: instant(from.value), createdTo: instant(to.value), modelId: model.value, priority: priority.value,
      limit: 100, cursor: state.cursors[state.page],
    };
  }

  async function load() {
    error.textContent = '';
    try {
      const page = await api.get('/api/v1/predictions', params());
      state.items = page.items || [];
      state.next = page.nextCursor || null;
      context.worklistQueue = state.items.map(p => p.imageId);
      render();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  async function search() {
    error.textContent = '';
    try {
      const page = await api.post('/api/v1/images/search', { accessionNumber: accession.value.trim() || null,
        studyInstanceUid: study.value.trim() || null, limit: 100 });
      state.items = (page.items || []).flatMap(image => image.predictions || []);
      state.next = null;
      render('Images with these identifiers');
    } catch (e) {
      error.textContent = e.message;
    }
  }

  function render(caption) {
    const shown = flaggedOnly.checked ? state.items.filter(p => p.reliability && p.reliability.flagged) : state.items;
    results.replaceChildren(shown.length ? predictionTable(shown, state.sort, column => {
      state.sort = state.sort && state.sort.column === column ? { column, descending: !state.sort.descending } : { column, descending: true };
      render(caption);
    }, caption || ('Predictions, page ' + (state.page + 1) + ' (' + shown.length + ' rows)')) : h('p', { id: 'worklist-empty' }, 'No predictions match.'));
    pager.replaceChildren(
      h('button', { type: 'button', id: 'wl-prev', disabled: state.page === 0, onclick: () => { state.page -= 1; load(); } }, 'Previous page'),
      h('button', { type: 'button', id: 'wl-next', disabled: !state.next, onclick: () => {
        state.cursors[state.page + 1] = state.next; state.page += 1; load();
      } }, 'Next page'));
    announce(shown.length + ' predictions shown');
  }

  load();
  const timer = setInterval(() => { if (live.checked && state.page === 0) load(); }, REFRESH_MS);
  return () => clearInterval(timer);
}
