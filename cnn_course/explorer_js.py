"""The conv-arithmetic explorer in JavaScript: its browser twin (see `kernelfree`).

Its five sliders reach 12 x 7 x 5 x 5 x 3 = 6300 settings (times the window slider): too many
to draw in advance, so the browser computes them. `EXPLORER_JS` is a line-by-line port of
`explorer.explorer_layout` (the arithmetic and the caption) and of `render_svg` /
`render_html` (the picture). tests/test_browser.py checks, for every setting the sliders reach,
that the JavaScript layout equals the Python one (window positions, output sizes, captions,
and on a sample every cell's read count). Change the two together.
"""

import json

from .kernelfree import scripted

RENDERER = "conv-explorer"


def with_browser_twin(box, controls, view, colours):
    """Give the explorer's ipywidget (box) its twin. controls: name -> the live sliders (n, k,
    stride, padding, dilation, window); view: the HTML widget whose value is the first picture;
    colours: the explorer's palette (explorer.COLOURS), drawn the same in the browser."""
    script = EXPLORER_JS.replace("__COLOURS__", json.dumps(colours))
    return scripted(box, controls, RENDERER, script, initial=lambda: view.value)


EXPLORER_JS = r"""
(function () {
  var K = window.cnnKernelFree = window.cnnKernelFree || {renderers: {}};
  var COLOURS = __COLOURS__;

  function pair(v) { return Array.isArray(v) ? [v[0], v[1]] : [v, v]; }
  function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
                                    .replace(/"/g, '&quot;').replace(/'/g, '&#x27;'); }

  function axis(n, k, s, p, d) {
    var padded = n + 2 * p, span = d * (k - 1) + 1;
    if (span > padded) {
      return {padded: padded, span: span, out: 0, starts: [], leftover: padded, numerator: padded - span, fits: false};
    }
    var out = Math.floor((padded - span) / s) + 1, starts = [];
    for (var i = 0; i < out; i++) starts.push(i * s);
    var lastEnd = starts[starts.length - 1] + span;
    return {padded: padded, span: span, out: out, starts: starts, leftover: padded - lastEnd,
            numerator: padded - span, fits: true};
  }

  function layout(n0, k0, stride, padding, dilation, win) {
    var n = pair(n0), k = pair(k0), s = pair(stride === undefined ? 1 : stride),
        p = pair(padding || 0), d = pair(dilation === undefined ? 1 : dilation);
    var axes = [axis(n[0], k[0], s[0], p[0], d[0]), axis(n[1], k[1], s[1], p[1], d[1])];
    var rows = axes[0].padded, cols = axes[1].padded, r, c, m, q;
    var reads = [];
    for (r = 0; r < rows; r++) { reads.push([]); for (c = 0; c < cols; c++) reads[r].push(0); }
    axes[0].starts.forEach(function (r0) {
      axes[1].starts.forEach(function (c0) {
        for (m = 0; m < k[0]; m++) for (q = 0; q < k[1]; q++) reads[r0 + d[0] * m][c0 + d[1] * q] += 1;
      });
    });
    var grid = [];
    for (r = 0; r < rows; r++) {
      var row = [];
      for (c = 0; c < cols; c++) {
        row.push({pad: !(p[0] <= r && r < p[0] + n[0] && p[1] <= c && c < p[1] + n[1]), reads: reads[r][c]});
      }
      grid.push(row);
    }
    var out = [axes[0].out, axes[1].out], fits = axes[0].fits && axes[1].fits;
    var L = {n: n, k: k, stride: s, padding: p, dilation: d, axes: axes, padded: [rows, cols], out: out,
             fits: fits, grid: grid, window: null, taps: [], box: null};
    if (fits) {
      var index = Math.min(Math.max(Math.trunc(win || 0), 0), out[0] * out[1] - 1);
      var i = Math.floor(index / out[1]), j = index % out[1];
      var r0 = axes[0].starts[i], c0 = axes[1].starts[j];
      L.window = [i, j];
      for (m = 0; m < k[0]; m++) for (q = 0; q < k[1]; q++) L.taps.push([r0 + d[0] * m, c0 + d[1] * q]);
      L.box = [r0, c0, axes[0].span, axes[1].span];
    }
    L.lines = caption(L);
    return L;
  }

  function axisFormula(n, k, s, p, d, ax) {
    var num = ax.numerator;
    var dil = d !== 1 ? d + '·(' + k + ' − 1)' : '(' + k + ' − 1)';
    var text = '⌊(' + n + ' + 2·' + p + ' − ' + dil + ' − 1) / ' + s + '⌋ + 1 = ⌊' + num + '/' + s + '⌋ + 1';
    if (!ax.fits) {
      return 'the kernel spans ' + ax.span + ' cells but the padded input has only ' + ax.padded +
             ': it does not fit, there is no output';
    }
    text += ' = ' + ax.out;
    if (num % s) text += ' (' + num + '/' + s + ' is not whole: rounded down)';
    return text;
  }

  function plural(count, word) { return count + ' ' + word + (count !== 1 ? 's' : ''); }

  function caption(L) {
    var n = L.n, k = L.k, s = L.stride, p = L.padding, d = L.dilation, axes = L.axes, lines = [];
    var same = [n, k, s, p, d].every(function (v) { return v[0] === v[1]; });
    (same ? [0] : [0, 1]).forEach(function (a) {
      var label = same ? 'size' : ['rows', 'columns'][a];
      lines.push('Output ' + label + ': ' + axisFormula(n[a], k[a], s[a], p[a], d[a], axes[a]));
    });
    if (!L.fits) return lines;
    var padded = (p[0] === 0 && p[1] === 0) ? 'no padding' : 'padded to ' + L.padded[0] + '×' + L.padded[1];
    lines.push('Input ' + n[0] + '×' + n[1] + ' (' + padded + '); output ' + L.out[0] + '×' + L.out[1] + '.');
    if (same && axes[0].leftover) {
      var left = axes[0].leftover;
      lines.push('The last ' + plural(left, 'row') + ' and ' + plural(left, 'column') + ' of the padded input ' +
                 'are never read: no window reaches them.');
    } else if (!same) {
      [[0, 'row'], [1, 'column']].forEach(function (aw) {
        var l = axes[aw[0]].leftover;
        if (l) lines.push('The last ' + plural(l, aw[1]) + ' of the padded input ' + (l === 1 ? 'is' : 'are') +
                          ' never read: no window reaches ' + (l === 1 ? 'it' : 'them') + '.');
      });
    }
    var gaps = [0, 1].filter(function (a) { return s[a] > d[a] * (k[a] - 1) + 1; });
    if (gaps.length) lines.push("The stride is larger than the kernel's span: cells between windows are skipped.");
    return lines;
  }

  function mix(a, b, t) {
    var out = '#';
    for (var i = 1; i < 7; i += 2) {
      var x = parseInt(a.slice(i, i + 2), 16), y = parseInt(b.slice(i, i + 2), 16);
      var v = Math.round(x + (y - x) * t);
      out += (v < 16 ? '0' : '') + v.toString(16);
    }
    return out;
  }

  function svg(L, cell) {
    var rows = L.padded[0], cols = L.padded[1], oh = L.out[0], ow = L.out[1], C = COLOURS;
    if (cell === undefined) cell = Math.max(12, Math.min(28, Math.floor(360 / Math.max(rows, cols, 1))));
    var gap = 2 * cell, top = 28, left = 8;
    var width = Math.max(left + cols * cell + (L.fits ? gap + Math.max(ow * cell, 90) : 0) + 8, 200);
    var height = top + Math.max(rows, oh) * cell + 8;
    var maxReads = L.k[0] * L.k[1], n = L.n, p = L.padding, P = [];
    P.push('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + width + ' ' + height + '" width="' + width +
           '" height="' + height + '" style="max-width:100%;height:auto;font-family:sans-serif">');
    var padText = (p[0] === p[1] && p[0]) ? ', padding ' + p[0] : (p[0] !== p[1] ? ', padding (' + p[0] + ', ' + p[1] + ')' : '');
    P.push('<text x="' + left + '" y="18" font-size="13">input ' + n[0] + '×' + n[1] + padText + '</text>');
    L.grid.forEach(function (row, r) {
      row.forEach(function (g, c) {
        var x = left + c * cell, y = top + r * cell, fill;
        if (g.pad) fill = C.pad;
        else fill = mix(C.input, C.input_strong, 0.8 * Math.min(1, g.reads / maxReads));
        P.push('<rect x="' + x + '" y="' + y + '" width="' + cell + '" height="' + cell + '" fill="' + fill +
               '" stroke="' + C.grid + '" stroke-width="0.5"/>');
        if (g.pad) {
          P.push('<text x="' + (x + cell / 2) + '" y="' + (y + cell * 0.68) + '" font-size="' + (cell * 0.45).toFixed(1) +
                 '" text-anchor="middle" fill="' + C.pad_ink + '">0</text>');
        } else if (g.reads && cell >= 16) {
          var ink = C.ink;
          P.push('<text x="' + (x + cell / 2) + '" y="' + (y + cell * 0.68) + '" font-size="' + (cell * 0.42).toFixed(1) +
                 '" text-anchor="middle" fill="' + ink + '">' + g.reads + '</text>');
        } else if (g.reads === 0 && L.fits) {
          var e = cell * 0.25;
          P.push('<path d="M' + (x + e) + ' ' + (y + e) + 'L' + (x + cell - e) + ' ' + (y + cell - e) + 'M' +
                 (x + cell - e) + ' ' + (y + e) + 'L' + (x + e) + ' ' + (y + cell - e) + '" stroke="' + C.unread +
                 '" stroke-width="2"/>');
        }
      });
    });
    P.push('<rect x="' + (left + p[1] * cell) + '" y="' + (top + p[0] * cell) + '" width="' + n[1] * cell +
           '" height="' + n[0] * cell + '" fill="none" stroke="' + C.border + '" stroke-width="2"/>');
    if (L.fits) {
      L.axes[0].starts.forEach(function (r0) {
        L.axes[1].starts.forEach(function (c0) {
          P.push('<circle cx="' + (left + c0 * cell + cell * 0.22) + '" cy="' + (top + r0 * cell + cell * 0.22) +
                 '" r="' + Math.max(1.5, cell * 0.09).toFixed(1) + '" fill="' + C.anchor + '"/>');
        });
      });
      L.taps.forEach(function (t) {
        P.push('<rect x="' + (left + t[1] * cell + 2) + '" y="' + (top + t[0] * cell + 2) + '" width="' + (cell - 4) +
               '" height="' + (cell - 4) + '" fill="' + C.window + '" fill-opacity="0.35"/>');
      });
      var b = L.box;
      P.push('<rect x="' + (left + b[1] * cell) + '" y="' + (top + b[0] * cell) + '" width="' + b[3] * cell +
             '" height="' + b[2] * cell + '" fill="none" stroke="' + C.window + '" stroke-width="3"/>');
      var ox = left + cols * cell + gap;
      P.push('<text x="' + ox + '" y="18" font-size="13">output ' + oh + '×' + ow + '</text>');
      P.push('<text x="' + (ox - gap / 2) + '" y="' + (top + Math.min(rows, oh) * cell / 2 + 5) +
             '" font-size="16" text-anchor="middle">→</text>');
      for (var a = 0; a < oh; a++) {
        for (var bb = 0; bb < ow; bb++) {
          var sel = a === L.window[0] && bb === L.window[1];
          P.push('<rect x="' + (ox + bb * cell) + '" y="' + (top + a * cell) + '" width="' + cell + '" height="' + cell +
                 '" fill="' + (sel ? C.output_sel : C.output) + '" fill-opacity="' + (sel ? 0.6 : 1) +
                 '" stroke="' + C.grid + '" stroke-width="0.5"/>');
        }
      }
    }
    P.push('</svg>');
    return P.join('');
  }

  function html(L) {
    var cap = L.lines.map(function (l) { return '<div>' + esc(l) + '</div>'; }).join('');
    var legend = L.fits ? "<div style='color:#555;font-size:90%'>Grey: zero padding. Blue: the input; the number in " +
      "a cell is how many windows read it; red ×: no window reads it. Dots: where each window " +
      "starts. Red: the highlighted window, its taps and its output.</div>" : '';
    return '<div>' + svg(L) + "<div style='margin-top:4px'>" + cap + '</div>' + legend + '</div>';
  }

  K.convExplorerLayout = layout;
  K.convExplorerHtml = function (n, k, s, p, d, w) { return html(layout(n, k, s, p, d, w)); };
  K.renderers['conv-explorer'] = function (v, view, ctx) {
    var L = layout(v.n, v.k, v.stride, v.padding, v.dilation, 0);
    var win = ctx.controls.window;
    win.max = String(Math.max(L.out[0] * L.out[1] - 1, 0));
    if (+win.value > +win.max) win.value = win.max;
    L = layout(v.n, v.k, v.stride, v.padding, v.dilation, +win.value);
    if (L.window) ctx.setLabel('window', 'window ' + L.window[0] + ',' + L.window[1]);
    view.innerHTML = html(L);
  };
})();
"""
