/**
 * The interactive API page at /docs: reads /openapi.json and lets an operator try each route with a key.
 * Self-contained (no CDN, no bundled Swagger UI: its static-file dependency needs Node 22) and small enough to
 * read; every value from the document is escaped before it reaches the page.
 */
export const DOCS_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'";

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>LUNA API</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{padding:16px 24px;background:#14142b;color:#fff}header h1{margin:0;font-size:20px}
header input{width:420px;max-width:90%;padding:6px;margin-top:8px;font:inherit}
main{padding:16px 24px;max-width:1100px}
details{background:#fff;border:1px solid #ddd;border-radius:6px;margin:6px 0}
summary{padding:8px 12px;cursor:pointer;font-family:ui-monospace,monospace}
.m{display:inline-block;min-width:58px;font-weight:700}.GET{color:#0a7}.POST{color:#36c}.DELETE{color:#c33}.PUT,.PATCH{color:#a60}
.op{padding:0 12px 12px}textarea{width:100%;min-height:90px;font:12px ui-monospace,monospace}
pre{background:#111;color:#eee;padding:10px;overflow:auto;max-height:360px;white-space:pre-wrap}
label{display:block;margin:4px 0}label input{font:inherit;padding:3px;width:320px}
h2{font-size:16px;margin:18px 0 6px}
</style></head><body>
<header><h1>LUNA API</h1><div id="info"></div>
<input id="key" placeholder="API key (luna_…), kept in this browser only" autocomplete="off"></header>
<main id="ops">loading /openapi.json…</main>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const keyBox = document.getElementById('key');
keyBox.value = localStorage.getItem('luna-key') || '';
keyBox.addEventListener('change', () => localStorage.setItem('luna-key', keyBox.value.trim()));
function example(schema, depth) {
  if (!schema || depth > 4) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.type === 'object' || schema.properties) {
    const out = {};
    for (const [k, v] of Object.entries(schema.properties || {})) if ((schema.required || []).includes(k)) out[k] = example(v, depth + 1);
    return out;
  }
  if (schema.type === 'array') return [];
  if (schema.type === 'integer' || schema.type === 'number') return 0;
  if (schema.type === 'boolean') return false;
  return '';
}
async function send(form, method, path, out) {
  let url = path;
  for (const input of form.querySelectorAll('input[data-in=path]')) url = url.replace('{' + input.name + '}', encodeURIComponent(input.value));
  const q = new URLSearchParams();
  for (const input of form.querySelectorAll('input[data-in=query]')) if (input.value) q.set(input.name, input.value);
  if ([...q].length) url += '?' + q;
  const headers = { accept: form.querySelector('[name=sse]')?.checked ? 'text/event-stream' : 'application/json' };
  if (keyBox.value.trim()) headers.authorization = 'Bearer ' + keyBox.value.trim();
  const body = form.querySelector('textarea')?.value;
  if (body) headers['content-type'] = 'application/json';
  out.textContent = method + ' ' + url + ' …';
  try {
    const res = await fetch(url, { method, headers, body: body || undefined });
    out.textContent = res.status + ' ' + res.statusText + '\\n';
    const reader = res.body.getReader(); const dec = new TextDecoder();
    for (;;) { const { value, done } = await reader.read(); if (done) break; out.textContent += dec.decode(value, { stream: true }); }
    try { const j = JSON.parse(out.textContent.slice(out.textContent.indexOf('\\n') + 1)); out.textContent = res.status + ' ' + res.statusText + '\\n' + JSON.stringify(j, null, 2); } catch {}
  } catch (err) { out.textContent = 'request failed: ' + err.message; }
}
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('info').textContent = (doc.info?.title || '') + ' ' + (doc.info?.version || '') + ' · OpenAPI ' + doc.openapi;
  const root = document.getElementById('ops'); root.innerHTML = '';
  const groups = {};
  for (const [path, item] of Object.entries(doc.paths || {})) for (const [method, op] of Object.entries(item)) {
    const tag = (op.tags || [path.split('/')[2] || 'other'])[0];
    (groups[tag] ||= []).push({ path, method: method.toUpperCase(), op });
  }
  for (const [tag, ops] of Object.entries(groups)) {
    const h = document.createElement('h2'); h.textContent = tag; root.appendChild(h);
    for (const { path, method, op } of ops) {
      const d = document.createElement('details');
      const params = (op.parameters || []).filter((p) => p.in === 'path' || p.in === 'query');
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      d.innerHTML = '<summary><span class="m ' + esc(method) + '">' + esc(method) + '</span> ' + esc(path) + ' <small>' + esc(op.summary || op.description || '') + '</small></summary>'
        + '<form class="op">' + params.map((p) => '<label>' + esc(p.name) + ' (' + esc(p.in) + (p.required ? ', required' : '') + ') <input name="' + esc(p.name) + '" data-in="' + esc(p.in) + '"></label>').join('')
        + (bodySchema ? '<textarea>' + esc(JSON.stringify(example(bodySchema, 0), null, 2)) + '</textarea>' : '')
        + (path.endsWith('/turns') && method === 'POST' ? '<label><input type="checkbox" name="sse" style="width:auto"> stream events (SSE)</label>' : '')
        + '<button type="submit">Send</button><pre hidden></pre></form>';
      const form = d.querySelector('form'); const out = d.querySelector('pre');
      form.addEventListener('submit', (e) => { e.preventDefault(); out.hidden = false; send(form, method, path, out); });
      root.appendChild(d);
    }
  }
}).catch((err) => { document.getElementById('ops').textContent = 'cannot read /openapi.json: ' + err.message; });
</script></body></html>
`;
