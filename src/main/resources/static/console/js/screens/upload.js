import * as api from '../api.js';
import { h, field, select, announce } from '../dom.js';

const FINAL = new Set(['DONE', 'FAILED']);

/** Upload: many files dropped or chosen; per file the transfer's progress, then the job's status until a result. */
export default function upload(main) {
  let stopped = false;
  const input = h('input', { type: 'file', id: 'upload-files', multiple: true, accept: '.dcm,.png,application/dicom,image/png' });
  const priority = select({ id: 'upload-priority' }, [['', 'Default (the key\'s priority)'], ['routine', 'Routine'], ['stat', 'Stat (emergency)']]);
  const subject = h('input', { id: 'upload-subject', type: 'text', placeholder: 'Patient/123', autocomplete: 'off' });
  const list = h('ol', { class: 'uploads', id: 'upload-list', 'aria-label': 'Uploads' });
  const drop = h('div', { class: 'drop', id: 'drop-zone', tabindex: '0', role: 'button', 'aria-describedby': 'drop-hint',
    onclick: () => input.click(),
    onkeydown: e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } },
    ondragover: e => { e.preventDefault(); drop.classList.add('over'); },
    ondragleave: () => drop.classList.remove('over'),
    ondrop: e => { e.preventDefault(); drop.classList.remove('over'); send([...e.dataTransfer.files]); } },
  h('p', { id: 'drop-hint' }, 'Drop DICOM or PNG files here, or press to choose them.'));
  input.addEventListener('change', () => { send([...input.files]); input.value = ''; });

  main.append(h('h1', {}, 'Upload radiographs'),
    h('div', { class: 'card' },
      h('div', { class: 'row' }, field('Priority', priority), field('FHIR subject (optional)', subject)),
      field('Files', input), drop),
    h('h2', {}, 'This session\'s uploads'), list);

  function send(files) {
    for (const file of files) one(file);
  }

  async function one(file) {
    const bar = h('progress', { max: '100', value: '0', 'aria-label': 'Transfer of ' + file.name });
    const status = h('span', { class: 'status' }, 'sending');
    const detail = h('span', { class: 'detail' });
    const item = h('li', { class: 'upload' }, h('span', { class: 'name' }, file.name), bar, status, detail);
    list.prepend(item);
    try {
      const answer = await api.upload(file, { priority: priority.value, subject: subject.value.trim() },
        fraction => { bar.value = Math.round(fraction * 100); });
      bar.value = 100;
      const applied = answer.preferenceApplied ? ' (' + answer.preferenceApplied + ')' : '';
      for (const image of answer.body.images || []) {
        await follow(image, status, detail, applied);
      }
    } catch (e) {
      item.classList.add('refused');
      status.textContent = 'refused';
      detail.textContent = e.message;
      announce(file.name + ' refused: ' + e.message);
    }
  }

  async function follow(image, status, detail, applied) {
    let current = image;
    for (let delay = 250; !stopped; delay = Math.min(delay * 1.5, 3000)) {
      status.textContent = current.status || 'QUEUED';
      status.setAttribute('data-status', current.status || 'QUEUED');
      if (FINAL.has(current.status)) break;
      await new Promise(resolve => setTimeout(resolve, delay));
      current = await api.get('/api/v1/images/' + encodeURIComponent(image.id));
    }
    const prediction = (current.predictions || [])[0];
    const failure = (current.jobs || []).find(j => j.status === 'FAILED');
    if (prediction) {
      detail.replaceChildren(h('a', { href: '#/result/' + prediction.id, class: 'result-link' },
        prediction.predictedClass.code + ' ' + prediction.predictedClass.name + ' – open the result'), applied);
      announce('Result ready for an upload');
    } else if (failure) {
      detail.textContent = failure.failureReason || 'scoring failed';
    }
  }
  return () => { stopped = true; };
}
