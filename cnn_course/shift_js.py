"""The shift explorer (widgets.shift_explorer) in JavaScript: its browser twin (see `kernelfree`).

A digit menu and two shift sliders make 10 x 9 x 9 = 810 settings; stored as finished HTML
they would weigh megabytes. The twin stores the numbers instead, the digits' pixels and every
network's probabilities at every shift (computed in Python, once, as the widget already does),
and the browser shifts the digit and draws the same picture and table as
`widgets.shift_view`. tests/test_browser.py checks that both draw the same thing. Change the
two together.
"""

import numpy as np

from .kernelfree import scripted

RENDERER = "shift-explorer"


def with_browser_twin(box, controls, view, digits, labels, table, max_shift, scale):
    """box: the explorer's VBox; controls: {"digit", "dy", "dx"} live widgets; view: its HTML
    widget; the rest as `widgets.shift_view` takes them."""
    # full precision: the browser then computes and rounds exactly the numbers Python shows
    data = {
        "digits": np.asarray(digits, dtype=float).tolist(),
        "labels": [int(v) for v in labels],
        "names": list(table),
        "probs": {name: np.asarray(p, dtype=float).tolist() for name, p in table.items()},
        "maxShift": int(max_shift),
        "scale": int(scale),
    }
    return scripted(box, controls, RENDERER, SHIFT_JS, data=data, initial=lambda: view.value)


SHIFT_JS = r"""
(function () {
  var K = window.cnnKernelFree = window.cnnKernelFree || {renderers: {}};
  function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
                                    .replace(/"/g, '&quot;').replace(/'/g, '&#x27;'); }
  function signed(v) { return (v >= 0 ? '+' : '') + v; }

  function shifted(img, dy, dx) {              // content down by dy, right by dx; vacated cells 0
    var h = img.length, w = img[0].length, out = [];
    for (var r = 0; r < h; r++) {
      out.push([]);
      for (var c = 0; c < w; c++) {
        var r0 = r - dy, c0 = c - dx;
        out[r].push(r0 >= 0 && r0 < h && c0 >= 0 && c0 < w ? img[r0][c0] : 0);
      }
    }
    return out;
  }

  function digitImage(img, scale) {            // dark ink on light paper, a grey one-pixel frame
    var h = img.length, w = img[0].length, canvas = document.createElement('canvas');
    canvas.width = w * scale + 2; canvas.height = h * scale + 2;
    var g = canvas.getContext('2d');
    g.fillStyle = 'rgb(128,128,128)'; g.fillRect(0, 0, canvas.width, canvas.height);
    for (var r = 0; r < h; r++) for (var c = 0; c < w; c++) {
      var v = Math.round(255 * (1 - Math.min(1, Math.max(0, img[r][c]))));
      g.fillStyle = 'rgb(' + v + ',' + v + ',' + v + ')';
      g.fillRect(1 + c * scale, 1 + r * scale, scale, scale);
    }
    return canvas.toDataURL('image/png');
  }

  function argmax(a) { var b = 0; for (var i = 1; i < a.length; i++) if (a[i] > a[b]) b = i; return b; }

  function bars(probs, names, label) {          // widgets.probability_bars_html
    var head = names.map(function (n) { return "<th style='padding:2px 8px'>" + esc(n) + '</th>'; }).join('');
    var rows = [];
    for (var c = 0; c < probs[names[0]].length; c++) {
      var cells = names.map(function (n) {
        var p = probs[n][c], top = argmax(probs[n]) === c;
        var colour = top ? '#2a7ab0' : '#9cc3dd', weight = top ? 'bold' : 'normal';
        return "<td style='padding:1px 8px'>" +
          "<div style='display:inline-block;width:110px;height:10px;background:#eee;vertical-align:middle'>" +
          "<div style='width:" + (100 * p).toFixed(1) + "%;height:10px;background:" + colour + "'></div></div>" +
          " <span style='font-family:monospace;font-weight:" + weight + "'>" + (100 * p).toFixed(1).padStart(5) +
          '%</span></td>';
      }).join('');
      var shade = c === label ? 'background:#fff3c4' : '';
      rows.push("<tr style='" + shade + "'><td style='padding:1px 8px'><b>" + c + '</b></td>' + cells + '</tr>');
    }
    var verdicts = names.map(function (n) {
      var guess = argmax(probs[n]);
      return esc(n) + ' says <b>' + guess + '</b> (' + (guess === label ? 'right' : 'wrong') + ')';
    });
    return '<div>' + verdicts.join('; ') + '. True class: <b>' + label + '</b>.</div>' +
      "<table style='border-collapse:collapse'><tr><th>class</th>" + head + '</tr>' + rows.join('') + '</table>';
  }

  function render(digit, dy, dx, data) {       // widgets.shift_view's render
    var m = data.maxShift, probs = {};
    data.names.forEach(function (n) { probs[n] = data.probs[n][digit][dy + m][dx + m]; });
    var caption = 'shifted ' + signed(dy) + ' down, ' + signed(dx) + ' right';
    return "<div style='display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap'>" +
      "<figure style='margin:0'><img src='" + digitImage(shifted(data.digits[digit], dy, dx), data.scale) +
      "' alt='the digit " + caption + "'>" +
      "<figcaption style='font-size:90%'>" + caption + '</figcaption></figure>' +
      '<div>' + bars(probs, data.names, data.labels[digit]) + '</div></div>';
  }

  K.shiftExplorerHtml = render;
  K.renderers['shift-explorer'] = function (v, view, ctx) {
    view.innerHTML = render(v.digit, v.dy, v.dx, ctx.data);
  };
})();
"""
