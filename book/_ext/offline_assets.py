"""The JavaScript the published book serves itself, so that it renders with the network off.

MathJax (math), RequireJS and the Jupyter widget manager (widgets) and reveal.js (slides) come
from npm, pinned in package.json / package-lock.json at the repository root. `install()` runs
`npm ci` when node_modules is missing or older than the lockfile; `copy_into(static_dir)`
copies the files the site needs (not all of node_modules) to `<site>/_static/offline/`.
Both are idempotent and fast when there is nothing to do.

    python book/_ext/offline_assets.py            # install (what `make assets` runs)
"""

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
LOCKFILE = ROOT / "package-lock.json"
STAMP = NODE_MODULES / ".cnn-course-installed"
SUBDIR = "offline"  # under the site's _static/

# destination (under _static/offline/) -> (folder in node_modules, patterns to copy)
ASSETS = {
    "mathjax": (
        "mathjax/es5",
        [
            "tex-mml-chtml.js",
            "input/**/*",
            "output/chtml.js",
            "output/chtml/**/*",
            "ui/**/*",
            "a11y/**/*",
            "adaptors/**/*",
            "sre/**/*",
        ],
    ),
    "requirejs": ("requirejs", ["require.js"]),
    "html-manager": ("@jupyter-widgets/html-manager/dist", ["embed-amd.js", "*.woff2", "*.woff", "*.ttf"]),
    # the "white" theme: its font ships with it (others import theirs from a font CDN)
    "reveal.js": (
        "reveal.js",
        [
            "dist/reveal.js",
            "dist/reveal.css",
            "dist/reset.css",
            "dist/theme/white.css",
            "dist/theme/fonts/source-sans-pro/*",
            "plugin/notes/*.js",
        ],
    ),
}

# Files written here rather than copied. The widget manager's stylesheet names its icon fonts
# relative to where RequireJS thinks the manager's modules live, by default a folder named after
# the npm package next to the page; this tells RequireJS where they are on this site.
GENERATED = {
    "html-manager/require-paths.js": """// Written by book/_ext/offline_assets.py.
// Load after require.js, before embed-amd.js.
(function () {
  var src = document.currentScript && document.currentScript.src;
  if (src && window.require) {
    require.config({paths: {'@jupyter-widgets/html-manager/dist': src.slice(0, src.lastIndexOf('/'))}});
  }
  // The widget manager typesets a widget's math with MathJax 2's MathJax.Hub.Queue; the site
  // serves MathJax 3. Give it that one call, done the MathJax 3 way.
  function hub() {
    var M = window.MathJax;
    if (!M || M.Hub) return;
    M.Hub = {Queue: function () {
      [].slice.call(arguments).forEach(function (job) {
        var M3 = window.MathJax;
        if (!Array.isArray(job) || job[0] !== 'Typeset' || !M3 || !M3.startup || !M3.startup.promise) return;
        M3.startup.promise.then(function () { return M3.typesetPromise(job[2] ? [job[2]] : undefined); })
          .catch(function (e) { console.warn('MathJax typeset of a widget failed', e); });
      });
    }};
  }
  hub();
  document.addEventListener('DOMContentLoaded', hub);
  window.addEventListener('load', hub);
})();
""",
}

# What pages load (paths relative to _static/, as Sphinx's add_js_file wants them).
MATHJAX = f"{SUBDIR}/mathjax/tex-mml-chtml.js"
REQUIREJS = f"{SUBDIR}/requirejs/require.js"
HTML_MANAGER = f"{SUBDIR}/html-manager/embed-amd.js"
REQUIRE_PATHS = f"{SUBDIR}/html-manager/require-paths.js"
REVEAL = f"{SUBDIR}/reveal.js"


def _digest():
    spec = json.dumps([ASSETS, GENERATED], sort_keys=True).encode()
    return hashlib.sha256(LOCKFILE.read_bytes() + spec).hexdigest()[:16]


def installed():
    return STAMP.exists() and STAMP.read_text().strip() == _digest()


def install(quiet=True):
    """`npm ci` from the lockfile, unless node_modules already matches it. Returns True if it ran."""
    if installed():
        return False
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed to build the book: it installs MathJax, the widget manager and "
            "reveal.js from package-lock.json, so that the site serves them itself. "
            "Install Node.js (with npm), e.g. `apt-get install nodejs npm`."
        )
    with open(ROOT / ".npm-install.lock", "w") as lock:  # two builds at once: one installs
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed():
            return False
        cmd = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
        if quiet:
            cmd.append("--loglevel=error")
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=quiet, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{(proc.stdout or '')[-3000:]}{(proc.stderr or '')[-3000:]}")
        STAMP.write_text(_digest() + "\n")
    return True


def copy_into(static_dir):
    """Copy the assets into <static_dir>/offline/ (skipped when already there for this lockfile)."""
    install()
    dest_root = Path(static_dir) / SUBDIR
    stamp = dest_root / ".stamp"
    if stamp.exists() and stamp.read_text().strip() == _digest():
        return dest_root
    for name, (folder, patterns) in ASSETS.items():
        src = NODE_MODULES / folder
        if not src.is_dir():
            raise RuntimeError(f"{src} is missing: delete node_modules and build again")
        for pattern in patterns:
            matches = [p for p in src.glob(pattern) if p.is_file()]
            if not matches:
                raise RuntimeError(f"nothing in {src} matches {pattern!r}: package-lock.json changed?")
            for path in matches:
                target = dest_root / name / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    for name, text in GENERATED.items():
        (dest_root / name).parent.mkdir(parents=True, exist_ok=True)
        (dest_root / name).write_text(text)
    stamp.write_text(_digest() + "\n")
    return dest_root


if __name__ == "__main__":
    ran = install(quiet=False)
    print("node_modules: installed from package-lock.json" if ran else "node_modules: up to date")
    if len(sys.argv) > 1:
        print("copied to", copy_into(sys.argv[1]))
