import * as api from '../api.js';
import { h, field, select, when, announce } from '../dom.js';

const LABELS = [[0, 'CVX0 normal'], [1, 'CVX1 classic/probable COVID-19'], [2, 'CVX2 indeterminate for COVID-19'], [3, 'CVX3 non-COVID-19 abnormality']];

/**
 * Labelling: a queue of images (the worklist's page, or ids pasted), labelled with the keys 0-3, moved through
 * with n/p or the arrow keys, as the reference or as a named reader.
 */
export default function labelling(main, args, context) {
  const state = { queue: [...(context.worklistQueue || [])], index: 0, done: new Set() };
  const mode = select({ id: 'label-as' }, [['reference', 'Reference standard'], ['reader', 'A named reader']]);
  const reader = h('input', { id: 'label-reader', type: 'text', autocomplete: 'off', placeholder: 'reader-1' });
  const labelledBy = h('input', { id: 'label-by', type: 'text', autocomplete: 'off' });
  const ids = h('textarea', { id: 'label-ids', rows: '3' });
  const error = h('p', { class: 'error', role: 'alert', id: 'label-error' });
  const progress = h('p', { id: 'label-progress', 'aria-live': 'polite' });
  const picture = h('div', { class: 'picture' });
  const current = h('div', { id: 'label-current' });
  const history = h('div', { id: 'label-history' });
  const buttons = h('div', { class: 'label-buttons' }, LABELS.map(([value, name]) =>
    h('button', { type: 'button', 'data-label': value, onclick: () => label(value), 'aria-keyshortcuts': String(value) }, value + ' – ' + name)));

  main.append(h('h1', {}, 'Labelling'),
    h('div', { class: 'card' },
      h('div', { class: 'row' }, field('Label as', mode), field('Reader id (for a named reader)', reader), field('Labelled by (optional)', labelledBy)),
      field('Image ids to label (one per line; empty: the worklist\'s current page)', ids),
      h('button', { type: 'button', id: 'label-load', onclick: () => {
        const list = ids.value.split(/\s+/).filter(Boolean);
        if (list.length) state.queue = list;
        state.index = 0;
        show();
      } }, 'Load the queue'),
      h('p', { class: 'hint' }, 'Keys: 0, 1, 2, 3 label the image and move on; n or → next; p or ← previous.')),
    error, progress,
    h('div', { class: 'columns' }, h('section', { class: 'card', 'aria-label': 'Image' }, picture, current, buttons),
      h('section', { class: 'card', 'aria-labelledby': 'history-h' }, h('h2', { id: 'history-h' }, 'Labels of this image'), history)));

  const onKey = e => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement) return;
    if (/^[0-3]$/.test(e.key)) { e.preventDefault(); label(Number(e.key)); }
    else if (e.key === 'n' || e.key === 'ArrowRight') { e.preventDefault(); move(1); }
    else if (e.key === 'p' || e.key === 'ArrowLeft') { e.preventDefault(); move(-1); }
  };
  document.addEventListener('keydown', onKey);

  function move(step) {
    if (!state.queue.length) return;
    state.index = Math.min(state.queue.length - 1, Math.max(0, state.index + step));
    show();
  }

  async function label(value) {
    const imageId = state.queue[state.index];
    if (!imageId) return;
    error.textContent = '';
    const path = mode.value === 'reference' ? '/labels/reference' : '/labels/readers/' + encodeURIComponent(reader.value.trim());
    if (mode.value === 'reader' && !reader.value.trim()) {
      error.textContent = 'Name the reader first.';
      return;
    }
    try {
      const labels = await api.put('/api/v1/images/' + encodeURIComponent(imageId) + path, { label: value, labelledBy: labelledBy.value.trim() || null });
      state.done.add(imageId);
      renderHistory(labels);
      announce('Labelled ' + value);
      if (state.index < state.queue.length - 1) move(1); else showProgress();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  function showProgress() {
    progress.textContent = state.queue.length
      ? 'Image ' + (state.index + 1) + ' of ' + state.queue.length + '; labelled in this session: ' + state.done.size
      : 'The queue is empty: open the worklist first, or paste image ids.';
  }

  function renderHistory(labels) {
    const row = l => h('li', {}, (l.reader ? 'reader ' + l.reader : 'reference') + ': ' + l.code + (l.labelledBy ? ' by ' + l.labelledBy : '')
      + ', ' + when(l.labelledAt) + (l.replacedAt ? ' (replaced ' + when(l.replacedAt) + ')' : '') + (l.comment ? ' – ' + l.comment : ''));
    history.replaceChildren(
      h('h3', {}, 'Current'),
      h('ul', { id: 'label-now' }, labels.reference ? row(labels.reference) : h('li', {}, 'no reference label'), (labels.readers || []).map(row)),
      h('h3', {}, 'Replaced'),
      (labels.history || []).length ? h('ul', {}, labels.history.map(row)) : h('p', {}, 'none'));
  }

  async function show() {
    showProgress();
    const imageId = state.queue[state.index];
    picture.replaceChildren();
    history.replaceChildren();
    current.replaceChildren(imageId ? h('p', { class: 'mono' }, 'Image ' + imageId) : '');
    if (!imageId) return;
    if (context.roles.has('reader')) {
      try {
        const blob = await api.get('/api/v1/images/' + encodeURIComponent(imageId) + '/model-view', null, { as: 'blob' });
        const bitmap = await createImageBitmap(blob);
        const canvas = h('canvas', { width: 336, height: 336, role: 'img', 'aria-label': 'Model view of the image to label' });
        canvas.getContext('2d').drawImage(bitmap, 0, 0, 336, 336);
        picture.replaceChildren(canvas);
      } catch (e) {
        picture.replaceChildren(h('p', {}, e.message));
      }
    }
    try {
      renderHistory(await api.get('/api/v1/images/' + encodeURIComponent(imageId) + '/labels'));
    } catch (e) {
      history.replaceChildren(h('p', {}, e.status === 404 ? 'No labels yet.' : e.message));
    }
  }

  show();
  return () => document.removeEventListener('keydown', onKey);
}
