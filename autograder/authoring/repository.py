"""The repository URL, named once in _config.yml, and the lecture cells that must follow it.

Every lecture's first code cell installs the course package from the repository when it runs
on Colab. `python -m autograder generate` rewrites that line from _config.yml, and the tests
fail when a lecture names another repository or branch.
"""

import re

import nbformat
import yaml

from ..paths import ROOT

INSTALL_RE = re.compile(r'"cnn-course @ git\+[^"]*"')


def repository():
    """(url, branch) from _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config.get("repository") or {}
    if not repo.get("url"):
        raise SystemExit(f"{ROOT / '_config.yml'}: repository.url is not set")
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def raw_files_url():
    """Where a student notebook downloads its public files from: the exercises/ folder of the
    configured (public) repository, as raw files. Only GitHub URLs are known here."""
    url, branch = repository()
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(\.git)?", url)
    if not match:
        raise SystemExit(f"{ROOT / '_config.yml'}: repository.url {url} is not https://github.com/OWNER/REPO")
    return f"https://raw.githubusercontent.com/{match[1]}/{match[2]}/{branch}/exercises"


def install_spec():
    url, branch = repository()
    return f'"cnn-course @ git+{url}@{branch}"'


def lecture_paths():
    return sorted((ROOT / "lectures").glob("*.ipynb"))


def install_cell_problem(path):
    """None when the lecture's first code cell installs from the configured repository."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    found = INSTALL_RE.findall(code[0].source) if code else []
    if found != [install_spec()]:
        return f"{path}: first code cell should install {install_spec()} (found {found or 'nothing'})"
    return None


def sync_install_cells():
    """Rewrite the install line of every lecture from _config.yml. Returns the paths changed."""
    changed = []
    for path in lecture_paths():
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if code and INSTALL_RE.search(code[0].source):
            new = INSTALL_RE.sub(install_spec(), code[0].source)
            if new != code[0].source:
                code[0].source = new
                nbformat.write(nb, path)
                changed.append(path)
    return changed
