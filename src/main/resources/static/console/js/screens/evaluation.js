import * as api from '../api.js';
import { h, s, field, select, fmt, table, announce } from '../dom.js';
import { unitPlot } from '../charts.js';

const interval = i => (i ? '[' + fmt(i.low, 2) + ', ' + fmt(i.high, 2) + ']' : '–');

/** ROC space of one sub-task: the curve where the report has one, the operating point always. */
function roc(result) {
  const [svg, x, y] = unitPlot('ROC of ' + result.subTask + ': AUROC ' + fmt(result.auroc, 3), '1 − specificity', 'sensitivity');
  if (Array.isArray(result.roc) && result.roc.length) {
    svg.append(s('polyline', { class: 'curve', points: result.roc.map(p => x(p.falsePositiveRate) + ',' + y(p.truePositiveRate)).join(' ') }));
  }
  if (result.sensitivity !== null && result.specificity !== null && result.sensitivity !== undefined && result.specificity !== undefined) {
    svg.append(s('circle', { cx: x(1 - result.specificity), cy: y(result.sensitivity), r: 5, class: 'point' },
      s('title', {}, 'Operating point: sensitivity ' + fmt(result.sensitivity, 2) + ', specificity ' + fmt(result.specificity, 2))));
  }
  return h('figure', { class: 'chart', 'data-subtask': result.subTask }, svg,
    h('figcaption', {}, result.subTask + ': AUROC ' + fmt(result.auroc, 3) + ' ' + interval(result.aurocInterval) + ', n = ' + result.n
      + '; operating point sensitivity ' + fmt(result.sensitivity, 2) + ', specificity ' + fmt(result.specificity, 2)));
}

const SPARSE = 10;
const ece = stats => 'ECE ' + fmt(stats.expectedCalibrationError, 3) + ' ' + interval(stats.expectedCalibrationErrorInterval);

/**
 * Accuracy per confidence bin as bars, each bin's gap to its mean confidence shaded (what the ECE averages, weighted
 * by the bin's share of cases), the diagonal of perfect calibration drawn over both.
 */
function reliabilityDiagram(stats, label, id) {
  const [svg, x, y] = unitPlot(label + ', ' + ece(stats), 'confidence', 'accuracy');
  const diagonal = svg.querySelector('.diagonal');
  for (const bin of stats.reliability || []) {
    if (!bin.n || bin.accuracy === null) continue;
    const left = x(bin.from) + 1; const width = x(bin.to) - x(bin.from) - 2;
    const tip = '[' + bin.from + ', ' + bin.to + '): n = ' + bin.n + ', accuracy ' + fmt(bin.accuracy, 2) + ', mean confidence ' + fmt(bin.meanConfidence, 2);
    // A bin of a few cases says little: drawn lighter.
    const sparse = bin.n < SPARSE ? ' sparse' : '';
    svg.append(s('rect', { x: left, y: y(bin.accuracy), width, height: y(0) - y(bin.accuracy), class: 'bin' + sparse }, s('title', {}, tip)));
    if (bin.meanConfidence !== null && bin.meanConfidence !== undefined) {
      const top = Math.max(bin.accuracy, bin.meanConfidence); const bottom = Math.min(bin.accuracy, bin.meanConfidence);
      svg.append(s('rect', { x: left, y: y(top), width, height: y(bottom) - y(top), class: 'gap' + sparse }, s('title', {}, tip)));
    }
  }
  diagonal.setAttribute('class', 'diagonal over');
  svg.append(diagonal);
  return h('figure', { class: 'chart', id },
    h('h3', {}, label + ', ' + ece(stats)), svg,
    h('figcaption', {}, 'Accuracy per confidence bin (bars); in red, each bin\'s gap to its mean confidence, which the expected calibration error (ECE) averages; dashed, perfect calibration. Cases per bin from 0 to 1: '
      + (stats.reliability || []).map(b => (b.n ? String(b.n) : '–')).join(', ') + ' (lighter: fewer than ' + SPARSE + ').'));
}

/**
 * With a calibration active for the version, the raw and the calibrated diagram side by side, with what the
 * calibration is and how it did on cases it never saw: the calibrated diagram is in-sample on cases it was fitted on.
 */
function calibrationCharts(report) {
  const d = report.reliabilityDiagrams;
  if (!d) return reliabilityDiagram(report.model, 'Reliability diagram', 'reliability-diagram');
  const about = h('p', { class: 'note', id: 'calibration-about' }, 'Calibration ' + d.calibrationId.slice(0, 8) + ' is active.');
  const calibrated = reliabilityDiagram(d.calibrated, 'Calibrated', 'reliability-diagram-calibrated');
  calibrated.setAttribute('data-calibration', d.calibrationId);
  api.get('/api/v1/calibrations/' + encodeURIComponent(d.calibrationId)).then(c => {
    const t = c.parameters && c.parameters.temperature;
    about.textContent = 'Calibration ' + c.version + ' of ' + c.modelId + ' ' + c.modelVersion + ' (' + c.method
      + (t ? ', T = ' + fmt(t, 3) : '') + '), fitted on ' + c.labelledCases + ' labelled cases. On cases it was fitted on, the calibrated diagram is in-sample; on held-out cases (' + c.folds + '-fold cross-fitting) its '
      + ece(c.after) + ', against ' + ece(c.before) + ' before.';
  }).catch(() => {});
  return h('div', {}, about, h('div', { class: 'charts' }, reliabilityDiagram(d.raw, 'Raw', 'reliability-diagram'), calibrated));
}

function confusion(report) {
  const m = report.confusion || [];
  return h('table', { id: 'confusion' }, h('caption', {}, 'Confusion matrix (rows: reference label, columns: the model\'s class)'),
    h('thead', {}, h('tr', {}, h('td', {}), m.map((_, j) => h('th', { scope: 'col' }, 'CVX' + j)))),
    h('tbody', {}, m.map((row, i) => h('tr', {}, h('th', { scope: 'row' }, 'CVX' + i), row.map((n, j) => h('td', { class: i === j ? 'num diag' : 'num' }, String(n)))))));
}

function kappa(agreement) {
  if (!agreement.length) return h('p', { id: 'kappa' }, 'Cohen\'s kappa: no reader has labelled these cases, so there is no agreement to show.');
  const raters = [...new Set(agreement.flatMap(a => [a.first, a.second]))];
  const value = (a, b) => {
    if (a === b) return '1';
    const pair = agreement.find(p => (p.first === a && p.second === b) || (p.first === b && p.second === a));
    return pair ? fmt(pair.kappa, 2) + ' (n ' + pair.images + ')' : '–';
  };
  return h('table', { id: 'kappa' }, h('caption', {}, 'Cohen\'s kappa between every two raters: the model and the readers'),
    h('thead', {}, h('tr', {}, h('td', {}), raters.map(r => h('th', { scope: 'col' }, r)))),
    h('tbody', {}, raters.map(a => h('tr', {}, h('th', { scope: 'row' }, a), raters.map(b => h('td', { class: 'num' }, value(a, b)))))));
}

/** Evaluation: cohort filters, then the model's metrics as pictures and the readers beside it. */
export default function evaluation(main) {
  const inputs = {};
  const text = (name, label) => field(label, inputs[name] = h('input', { id: 'ev-' + name, type: 'text', autocomplete: 'off' }));
  const model = select({ id: 'ev-modelId' }, []);
  inputs.modelId = model;
  const from = h('input', { id: 'ev-from', type: 'date' });
  const to = h('input', { id: 'ev-to', type: 'date' });
  const sex = select({ id: 'ev-sex' }, [['', 'Any'], ['F', 'F'], ['M', 'M'], ['O', 'O']]);
  const error = h('p', { class: 'error', role: 'alert' });
  const out = h('div', { id: 'evaluation-report' });
  // The report is of one model: the default one first.
  api.get('/api/v1/models').then(models => {
    models.forEach(m => model.append(h('option', { value: m.id }, m.id + ' ' + m.version + (m.isDefault ? ' (default)' : ''))));
    const preferred = models.find(m => m.isDefault);
    if (preferred) model.value = preferred.id;
    run();
  }).catch(e => { error.textContent = e.message; });

  main.append(h('h1', {}, 'Evaluation'),
    h('form', { class: 'card filters', id: 'evaluation-form', onsubmit: e => { e.preventDefault(); run(); } },
      h('div', { class: 'row' }, field('Model', model), field('Received from', from), field('Received until', to), field('Patient sex', sex)),
      h('div', { class: 'row' }, text('modality', 'Modality'), text('viewPosition', 'View position'), text('manufacturer', 'Manufacturer'), text('institutionName', 'Institution')),
      h('button', { type: 'submit', id: 'ev-run' }, 'Evaluate')),
    error, out);

  async function run() {
    error.textContent = '';
    out.replaceChildren(h('p', {}, 'Evaluating…'));
    try {
      const report = await api.get('/api/v1/evaluations', {
        modelId: model.value, receivedFrom: from.value ? from.value + 'T00:00:00Z' : '', receivedTo: to.value ? to.value + 'T23:59:59Z' : '',
        patientSex: sex.value, modality: inputs.modality.value.trim(), viewPosition: inputs.viewPosition.value.trim(),
        manufacturer: inputs.manufacturer.value.trim(), institutionName: inputs.institutionName.value.trim() });
      const m = report.model;
      out.replaceChildren(
        h('p', { class: 'summary', id: 'evaluation-summary' }, report.labelledPredictions + ' labelled predictions of ' + report.cohort.modelId + ' ' + (report.cohort.modelVersion || '')
          + '; accuracy ' + fmt(m.multiclassAccuracy, 3) + ' ' + interval(m.multiclassInterval) + ' (' + m.bootstrapResamples + ' bootstrap resamples, seed ' + m.bootstrapSeed + ')'),
        h('section', { class: 'card', 'aria-labelledby': 'roc-h' }, h('h2', { id: 'roc-h' }, 'ROC per sub-task'), h('div', { class: 'charts' }, (m.subTasks || []).map(roc))),
        h('div', { class: 'columns' },
          h('section', { class: 'card', 'aria-labelledby': 'cal-h' }, h('h2', { id: 'cal-h' }, 'Calibration'), calibrationCharts(report)),
          h('section', { class: 'card', 'aria-labelledby': 'cm-h' }, h('h2', { id: 'cm-h' }, 'Confusion'), confusion(m))),
        h('section', { class: 'card', 'aria-labelledby': 'readers-h' }, h('h2', { id: 'readers-h' }, 'The model and the readers'),
          table('Accuracy with 95 % bootstrap intervals', [['Who', r => r.who], ['Labelled', r => String(r.labelled)],
            ['Accuracy', r => fmt(r.metrics.multiclassAccuracy, 3) + ' ' + interval(r.metrics.multiclassInterval)],
            ['ECE', r => fmt(r.metrics.expectedCalibrationError, 3)]],
          [{ who: 'model', labelled: m.n, metrics: m }, ...(report.readers || []).map(r => ({ who: r.reader, labelled: r.labelled, metrics: r.metrics }))]),
          table('Sub-task accuracy: model and readers', [['Sub-task', c => c.subTask], ['Model', c => fmt(c.model, 3)],
            ...Object.keys(((report.comparison || [])[0] || {}).readers || {}).map(r => [r, c => fmt(c.readers[r], 3)])], report.comparison || []),
          kappa(report.agreement || [])));
      announce('Evaluation shown');
    } catch (e) {
      out.replaceChildren();
      error.textContent = e.message;
    }
  }
}
