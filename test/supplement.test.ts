/** The supplement's pages (web/supplement.ts): one shared plotly.js, nothing from the rendering machine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { portablePage } from '../web/supplement.js';
import { plotlyLoaderHtml } from '../lib/report/plots.js';

test('a rendered page loads the shared plotly.js and drops the rendering machine\'s scripts', () => {
  const page = `<html><head><script src="file:///usr/share/javascript/requirejs/require.min.js"></script>
<script src="file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"> </script></head>
<body><div class="output">${plotlyLoaderHtml()}</div><div id="fig-1"></div></body></html>`;
  assert.ok(page.length > 10_000_000, 'the loader carries the whole plotly.js');
  const out = portablePage(page, 'p.html');
  assert.ok(out.length < 2000, `${out.length} characters left`);
  assert.match(out, /<script type="text\/javascript" src="predict\/plotly\.min\.js"><\/script><div[^>]*>plotly\.js loaded<\/div>/);
  assert.doesNotMatch(out, /file:\/\//);
  assert.throws(() => portablePage('<img src="/home/me/figure.png">', 'p.html'), /^Error: p\.html: still refers to the rendering machine's files \(src="\/home\/me\/figure\.png"\)/);
});
