import * as api from '../api.js';
import { h, s, fmt, when, table, download, announce } from '../dom.js';
import { bars, heatCanvas } from '../charts.js';

const SIZE = 448;

/** The decision hierarchy (InnerEye): COVID-19 features or not, then which kind on each side. */
function hierarchy(prediction, names) {
  const t = prediction.subTaskScores || {};
  const p = prediction.probabilities;
  const name = code => code + ' ' + (names[code] || '');
  const node = (x, y, title, score, cls) => s('g', { class: 'node ' + (cls || '') },
    s('rect', { x: x - 115, y: y - 22, width: 230, height: 44, rx: 6 }),
    s('text', { x, y: y - 4, 'text-anchor': 'middle' }, title),
    s('text', { x, y: y + 13, 'text-anchor': 'middle', class: 'score' }, score));
  const edge = (x1, y1, x2, y2, label) => [s('line', { x1, y1: y1 + 22, x2, y2: y2 - 22, class: 'edge' }),
    s('text', { x: (x1 + x2) / 2 + (x2 < x1 ? -8 : 8), y: (y1 + y2) / 2 + 4, 'text-anchor': x2 < x1 ? 'end' : 'start', class: 'edge-label' }, label)];
  const top = prediction.predictedClass.code;
  return s('svg', { viewBox: '0 0 1000 300', width: 1000, height: 300, class: 'tree', role: 'img', 'aria-labelledby': 'hier-title', id: 'hierarchy' },
    s('title', { id: 'hier-title' }, 'Decision hierarchy with sub-task scores'),
    edge(500, 40, 255, 140, 'no (' + fmt(1 - t.CVX03vs12, 2) + ')'), edge(500, 40, 745, 140, 'yes (' + fmt(t.CVX03vs12, 2) + ')'),
    edge(255, 140, 130, 250, 'no'), edge(255, 140, 380, 250, 'yes'),
    edge(745, 140, 620, 250, 'no'), edge(745, 140, 870, 250, 'yes'),
    node(500, 40, 'CVX03vs12: COVID-19 features?', 'score ' + fmt(t.CVX03vs12, 3)),
    node(255, 140, 'CVX0vs3: other abnormality?', 'score ' + fmt(t.CVX0vs3, 3)),
    node(745, 140, 'CVX1vs2: indeterminate?', 'score ' + fmt(t.CVX1vs2, 3)),
    ['CVX0', 'CVX3', 'CVX1', 'CVX2'].map((code, i) => node(130 + 245 * i, 250, name(code), 'p = ' + fmt(p[code], 3),
      code === top ? 'leaf top' : 'leaf')));
}

async function bitmap(blob) {
  return createImageBitmap(blob);
}

/** Result: the film as the model saw it with the heat map, the numbers, the provenance, the downloads. */
export default function result(main, [id]) {
  const error = h('p', { class: 'error', role: 'alert' });
  main.append(h('h1', {}, 'Result'), error);
  render().catch(e => { error.textContent = e.message; });

  async function render() {
    const prediction = await api.get('/api/v1/predictions/' + encodeURIComponent(id));
    const [image, model] = await Promise.all([
      api.get('/api/v1/images/' + encodeURIComponent(prediction.imageId)),
      api.get('/api/v1/models/' + encodeURIComponent(prediction.model.id)).catch(() => null)]);
    const names = {};
    for (const c of (model && model.classes) || []) names[c.code] = c.name;
    names[prediction.predictedClass.code] = prediction.predictedClass.name;

    const canvas = h('canvas', { width: SIZE, height: SIZE, id: 'film', role: 'img', 'aria-label': 'Model view with heat map' });
    const legend = h('p', { class: 'legend', id: 'heat-legend' });
    const classChoice = h('select', { id: 'heat-class' });
    const opacity = h('input', { id: 'heat-opacity', type: 'range', min: '0', max: '100', value: '45' });
    const viewer = h('section', { class: 'card viewer', 'aria-labelledby': 'viewer-h' }, h('h2', { id: 'viewer-h' }, 'The model\'s view and its heat map'),
      canvas, legend,
      h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'heat-class' }, 'Heat map of'), classChoice),
        h('div', { class: 'field' }, h('label', { for: 'heat-opacity' }, 'Opacity'), opacity)));

    let film = null; let heat = null;
    const draw = () => {
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, SIZE, SIZE);
      if (film) ctx.drawImage(film, 0, 0, SIZE, SIZE);
      if (heat) {
        ctx.globalAlpha = film ? Number(opacity.value) / 100 : 1;
        ctx.drawImage(heat, 0, 0);
        ctx.globalAlpha = 1;
      }
    };
    const loadHeat = async code => {
      try {
        const map = await api.get('/api/v1/predictions/' + encodeURIComponent(id) + '/heatmap', { format: 'json', class: code });
        heat = heatCanvas(map, SIZE);
        if (!classChoice.options.length) {
          for (const output of map.outputs || []) classChoice.append(h('option', { value: output }, output + (names[output] ? ' ' + names[output] : '')));
          classChoice.value = map.class;
        }
        legend.textContent = 'Heat map of ' + map.class + ': dark blue least evidence (' + fmt(map.min, 2) + '), yellow most (' + fmt(map.max, 2) + '). A map shows where evidence lies, not a finding.';
        canvas.setAttribute('data-heat', map.class);
      } catch (e) {
        heat = null;
        legend.textContent = e.message;
      }
      draw();
    };
    classChoice.addEventListener('change', () => loadHeat(classChoice.value));
    opacity.addEventListener('input', draw);
    try {
      film = await bitmap(await api.get('/api/v1/images/' + encodeURIComponent(prediction.imageId) + '/model-view', null, { as: 'blob' }));
    } catch (e) {
      legend.textContent = e.message;
    }
    await loadHeat(prediction.predictedClass.code);

    const probs = Object.entries(prediction.probabilities).map(([code, p]) => [code + ' ' + (names[code] || ''), p]);
    const warnings = [];
    if (prediction.reliability) {
      warnings.push(h('p', { class: prediction.reliability.flagged ? 'warning' : 'note', id: 'reliability' },
        (prediction.reliability.flagged ? 'Reliability warning: ' : 'Reliability: ') + prediction.reliability.summary
        + ' (overall ' + fmt(100 * prediction.reliability.overallErrorRate, 0) + ' % wrong; cases: ' + prediction.reliability.cases + ')'));
    }
    for (const warning of image.warnings || []) warnings.push(h('p', { class: 'warning' }, 'Input warning: ' + warning));
    const dicom = image.dicom ? Object.entries(image.dicom).filter(([, v]) => v !== null && v !== undefined) : [];
    const downloads = [['FHIR bundle', 'fhir', 'application/fhir+json', '.fhir.json'], ['HL7 v2 ORU', 'hl7v2', 'application/hl7-v2', '.hl7'],
      ['DICOM SR', 'dicom-sr', 'application/dicom', '.sr.dcm'], ['DICOM SC (heat map)', 'dicom-sc', 'application/dicom', '.sc.dcm']];
    const downloadError = h('p', { class: 'error', role: 'alert' });

    main.append(
      h('p', { class: 'notice', id: 'notice' }, prediction.notice || ''),
      h('p', { class: 'summary', id: 'predicted' }, 'Most likely: ', h('strong', {}, prediction.predictedClass.code + ' ' + prediction.predictedClass.name),
        ' (confidence ' + fmt(prediction.confidence, 2) + '), scored ' + when(prediction.createdAt) + ' by ' + prediction.model.id + ' ' + prediction.model.version),
      warnings,
      h('div', { class: 'columns' }, viewer,
        h('section', { class: 'card', 'aria-labelledby': 'prob-h' }, h('h2', { id: 'prob-h' }, 'Class probabilities'),
          bars('Class probabilities', probs, prediction.predictedClass.code + ' ' + (names[prediction.predictedClass.code] || '')),
          h('h2', {}, 'Fold spread'),
          h('p', {}, 'Largest minus smallest probability over the ensemble\'s folds: a wide spread means the folds disagree.'),
          bars('Fold spread', Object.entries(prediction.foldSpread || {}).map(([code, v]) => [code, v])),
          h('h2', {}, 'Downloads'),
          h('div', { class: 'downloads' }, downloads.map(([label, path, type, suffix]) => h('button', { type: 'button', 'data-download': path, onclick: async () => {
            downloadError.textContent = '';
            try {
              const blob = await api.call('GET', '/api/v1/predictions/' + encodeURIComponent(id) + '/' + path, { as: 'blob', headers: { Accept: type } });
              download(blob, id + suffix);
            } catch (e) {
              downloadError.textContent = label + ': ' + e.message;
            }
          } }, label))), downloadError)),
      h('section', { class: 'card', 'aria-labelledby': 'hier-h' }, h('h2', { id: 'hier-h' }, 'Decision hierarchy'), hierarchy(prediction, names)),
      h('section', { class: 'card', 'aria-labelledby': 'dicom-h' }, h('h2', { id: 'dicom-h' }, 'Image'),
        table('Image and the DICOM attributes kept', [['Attribute', r => r[0]], ['Value', r => (Array.isArray(r[1]) ? r[1].join(' \\ ') : String(r[1]))]],
          [['format', image.format], ['size', image.width + ' × ' + image.height + ', ' + image.bitDepth + ' bit'], ['received', when(image.receivedAt)],
            ['sha256', image.sha256], ...dicom])));
    announce('Result ' + prediction.predictedClass.code + ' shown');
  }
}
