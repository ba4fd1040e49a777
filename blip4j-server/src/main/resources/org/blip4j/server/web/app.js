// blip4j page: plain JavaScript over the /v1 JSON API (no build step, no dependencies).
'use strict';

const $ = (id) => document.getElementById(id);
const state = { file: null, token: sessionStorage.getItem('blip4j-token') || '', models: [] };

function authHeaders() {
  return state.token ? { Authorization: 'Bearer ' + state.token } : {};
}

// Shows the request as an equivalent curl command ("how this works").
function showRequest(method, path, fields) {
  const parts = ['curl -X ' + method + " '" + location.origin + path + "'"];
  if (state.token) {
    parts.push("-H 'Authorization: Bearer $TOKEN'");
  }
  for (const [name, value] of fields) {
    if (value instanceof File) {
      parts.push("-F '" + name + '=@' + (value.name || 'image.png') + "'");
    } else {
      parts.push("-F '" + name + '=' + String(value).replace(/'/g, "'\\''") + "'");
    }
  }
  $('last-request').textContent = parts.join(' \\\n  ');
}

async function api(method, path, fields) {
  let body;
  if (fields) {
    body = new FormData();
    for (const [name, value] of fields) {
      body.append(name, value);
    }
    showRequest(method, path, fields);
  }
  const started = performance.now();
  const res = await fetch(path, { method, headers: authHeaders(), body });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  if (fields) {
    const batch = res.headers.get('X-Batch-Size');
    $('last-response').textContent = 'HTTP ' + res.status + ' in ' + Math.round(performance.now() - started) + ' ms'
      + (batch ? ', computed in a batch of ' + batch : '') + (json ? ': ' + truncate(text, 300) : '');
  }
  if (res.status === 401) {
    $('token-row').hidden = false;
  }
  if (!res.ok) {
    throw new Error(json && json.error ? json.error : 'HTTP ' + res.status);
  }
  return json;
}

function truncate(s, n) {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

function setResult(el, text, st) {
  el.textContent = text;
  el.dataset.state = st;
}

async function loadModels() {
  try {
    const m = await api('GET', '/v1/models');
    state.models = m.models;
    $('status').textContent = 'Serving: ' + m.models.map((x) => x.name + ' (' + x.capabilities.join(', ') + ')')
      .join('; ');
    $('caption-section').hidden = !can('caption');
    $('vqa-section').hidden = !can('vqa');
    $('itm-section').hidden = !can('itm');
    const idx = await api('GET', '/v1/indexes');
    const images = idx.indexes.filter((i) => i.kind === 'image');
    if (images.length > 0) {
      $('search-note').textContent = 'Index "' + images[0].name + '": ' + images[0].size + ' images.';
      $('query').disabled = false;
      $('search').disabled = false;
      state.index = images[0].name;
    }
  } catch (e) {
    $('status').textContent = 'Cannot list models: ' + e.message;
  }
}

function can(capability) {
  return state.models.some((m) => m.capabilities.includes(capability));
}

function useFile(file) {
  if (!file) {
    return;
  }
  state.file = file;
  const img = $('preview');
  img.src = URL.createObjectURL(file);
  img.hidden = false;
  for (const id of ['caption-button', 'ask', 'score']) {
    $(id).disabled = false;
  }
  caption();
}

async function caption() {
  if (!state.file) {
    return;
  }
  const el = $('caption');
  setResult(el, 'captioning…', 'busy');
  const fields = [['image', state.file]];
  const mode = $('decoding').value;
  if (mode === 'greedy') {
    fields.push(['beams', '1']);
  } else if (mode === 'sample') {
    fields.push(['sample', 'true'], ['top_p', '0.9'], ['seed', String(Math.floor(Math.random() * 1e6))]);
  }
  if ($('prefix').value.trim()) {
    fields.push(['prefix', $('prefix').value.trim()]);
  }
  try {
    const r = await api('POST', '/v1/caption', fields);
    setResult(el, r.caption, 'done');
  } catch (e) {
    setResult(el, e.message, 'error');
  }
}

async function ask() {
  const el = $('answer');
  const q = $('question').value.trim();
  if (!q) {
    setResult(el, 'type a question first', 'error');
    return;
  }
  setResult(el, 'thinking…', 'busy');
  try {
    const r = await api('POST', '/v1/vqa', [['image', state.file], ['question', q]]);
    setResult(el, r.answer, 'done');
  } catch (e) {
    setResult(el, e.message, 'error');
  }
}

async function score() {
  const texts = $('texts').value.split('\n').map((t) => t.trim()).filter((t) => t);
  const table = $('scores');
  const body = table.querySelector('tbody');
  body.textContent = '';
  if (texts.length === 0) {
    return;
  }
  const fields = [['image', state.file]].concat(texts.map((t) => ['texts', t]));
  try {
    const itm = await api('POST', '/v1/itm', fields);
    const itc = await api('POST', '/v1/itc', fields);
    texts.forEach((t, i) => {
      const tr = document.createElement('tr');
      for (const v of [t, itm.scores[i].toFixed(3), itc.scores[i].toFixed(3)]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    });
    table.hidden = false;
  } catch (e) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 3;
    td.textContent = e.message;
    td.dataset.state = 'error';
    tr.appendChild(td);
    body.appendChild(tr);
    table.hidden = false;
  }
}

async function search() {
  const q = $('query').value.trim();
  const hits = $('hits');
  hits.textContent = '';
  if (!q) {
    return;
  }
  try {
    const r = await api('POST', '/v1/search/images', [['index', state.index], ['text', q], ['top_k', '8'],
      ['candidates', '32']]);
    for (const h of r.hits) {
      const fig = document.createElement('figure');
      const img = document.createElement('img');
      img.alt = 'result ' + h.rank;
      fig.appendChild(img);
      const cap = document.createElement('figcaption');
      cap.textContent = '#' + h.rank + ' score ' + h.score.toFixed(2) + ' (row ' + h.row + ')';
      fig.appendChild(cap);
      hits.appendChild(fig);
      // thumbnails are fetched with the token (an <img src> cannot carry it)
      fetch(h.thumbnail, { headers: authHeaders() }).then((res) => res.ok ? res.blob() : null).then((b) => {
        if (b) {
          img.src = URL.createObjectURL(b);
        }
      });
    }
    hits.dataset.state = 'done';
  } catch (e) {
    hits.textContent = e.message;
    hits.dataset.state = 'error';
  }
}

function init() {
  $('file').addEventListener('change', (e) => useFile(e.target.files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    useFile(e.dataTransfer.files[0]);
  });
  $('caption-button').addEventListener('click', caption);
  $('ask').addEventListener('click', ask);
  $('question').addEventListener('keydown', (e) => { if (e.key === 'Enter') { ask(); } });
  $('score').addEventListener('click', score);
  $('search').addEventListener('click', search);
  $('query').addEventListener('keydown', (e) => { if (e.key === 'Enter') { search(); } });
  $('token').value = state.token;
  $('token-save').addEventListener('click', () => {
    state.token = $('token').value.trim();
    sessionStorage.setItem('blip4j-token', state.token);
    loadModels();
  });
  loadModels();
}

document.addEventListener('DOMContentLoaded', init);
