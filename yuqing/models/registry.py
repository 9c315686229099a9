"""Model versions on disk, and which one is in use.

::

    models_dir/
        20250301-080000/          a version: YYYYMMDD-HHMMSS (UTC) of its creation,
            model.skops               optionally followed by -<name>
            meta.json             version, created_at, labels, thresholds (and how each was
        20250302-091500-rumour/       chosen: held-out precision and recall), corpus size and
                                      sha256, library versions, metrics
        CURRENT                   the name of the version in use

A version is written into a temporary directory beside the others and renamed into place, and
CURRENT is replaced by rename too: a crash leaves either the old state or the new, never a half
written model named in CURRENT.

Models are saved with skops and loaded only if every type in the file is on
:data:`TRUSTED_TYPES`; anything else raises :class:`UntrustedModel` before any object is built.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jieba
import sklearn
import skops
import skops.io
from skops.io.exceptions import UntrustedTypesFoundException

from yuqing.models.classifier import Classifier
from yuqing.models.errors import ModelError, ModelNotFound, UntrustedModel

MODEL_FILE = "model.skops"
META_FILE = "meta.json"
CURRENT_FILE = "CURRENT"

#: Every type a saved :class:`Classifier` holds, reviewed one by one. Computed by walking the
#: saved files of models trained on several label sets; skops would trust the scikit-learn
#: types by default, but this list is the whole allowance, so a file that smuggles in any other
#: estimator or function is refused too.
TRUSTED_TYPES: tuple[str, ...] = (
    # ours: the wrapper, the character n-gram vectorizer, and the word tokenizer (saved by name)
    "yuqing.models.classifier.Classifier",
    "yuqing.models.features.CharNgrams",
    "yuqing.models.tokenize.words",
    # scikit-learn: the features (features.py) and a calibrated regression per label
    "sklearn.pipeline.FeatureUnion",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.linear_model._logistic.LogisticRegression",
    # data: fitted arrays, the vectorizers' dtype parameter, plain containers and JSON values
    "numpy.ndarray",
    "numpy.float64",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
)

_VERSION = re.compile(r"\d{8}-\d{6}(-[A-Za-z0-9][A-Za-z0-9_.-]{0,39})?")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


def save(
    classifier: Classifier,
    models_dir: Path | str,
    *,
    now: datetime,
    name: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    make_current: bool = True,
) -> str:
    """Write ``classifier`` as a new version and return its name; by default make it current.

    ``now`` must be timezone-aware; the version is named from it in UTC. ``name`` (letters,
    digits, ``-``, ``_``, ``.``; up to 40) is appended. ``metrics`` (JSON-ready, e.g.
    ``Report.as_dict()``) is stored in meta.json.
    """
    if now.tzinfo is None:
        raise ModelError("save(now=...) needs a timezone-aware datetime")
    if name is not None and not _NAME.fullmatch(name):
        raise ModelError(
            f"model name {name!r}: use up to 40 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    absent = classifier.absent_labels  # raises ModelError if it was never trained
    created = now.astimezone(UTC)
    version = created.strftime("%Y%m%d-%H%M%S") + (f"-{name}" if name else "")
    root = Path(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    target = root / version
    if target.exists():
        raise ModelError(f"model version {version} already exists in {root}")
    meta = {
        "version": version,
        "created_at": created.isoformat(),
        "name": name,
        "labels": list(classifier.labels_),
        "absent_labels": list(absent),
        "thresholds": dict(classifier.thresholds_),
        # how each threshold was chosen, and its held-out precision and recall
        "threshold_selection": classifier.threshold_report_,
        "corpus_size": classifier.corpus_size_,
        "corpus_sha256": classifier.corpus_sha256_,
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "jieba_version": jieba.__version__,
        "metrics": dict(metrics) if metrics is not None else None,
    }
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        # Compressed: the vocabularies are stored as verbose JSON, about 30× smaller deflated.
        skops.io.dump(classifier, staging / MODEL_FILE, compression=zipfile.ZIP_DEFLATED)
        write_durably(staging / META_FILE, json.dumps(meta, ensure_ascii=False, indent=2))
        _fsync(staging)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync(root)
    if make_current:
        set_current(root, version)
    return version


def load(models_dir: Path | str, version: str | None = None) -> tuple[Classifier, str]:
    """Load ``version`` (default: the current one); return the classifier and its version."""
    root = Path(models_dir)
    if version is None:
        version = current_version(root)
        if version is None:
            raise ModelNotFound(f"no model in use in {root}: train one or set one current")
    path = _version_dir(root, version) / MODEL_FILE
    if not path.is_file():
        raise ModelNotFound(f"model version {version} has no {MODEL_FILE} in {root}")
    untrusted = sorted(set(_types_in(path)) - set(TRUSTED_TYPES))
    if untrusted:
        raise UntrustedModel(str(path), untrusted)
    try:
        classifier = skops.io.load(path, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as exc:
        raise UntrustedModel(str(path), [str(exc)]) from exc
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ModelError(f"{path}: cannot load the model: {exc}") from exc
    if not isinstance(classifier, Classifier):
        raise ModelError(f"{path}: holds a {type(classifier).__name__}, not a Classifier")
    return classifier, version


def list_versions(models_dir: Path | str) -> list[dict[str, Any]]:
    """Every version's meta.json (oldest first), each with ``"current": bool``; a version whose
    meta.json cannot be read is listed with an ``"error"`` instead."""
    root = Path(models_dir)
    current = current_version(root)
    versions = []
    for path in _version_dirs(root):
        try:
            meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            meta = {"version": path.name, "error": f"{META_FILE}: {exc}"}
        meta["version"] = path.name
        meta["current"] = path.name == current
        versions.append(meta)
    return versions


def set_current(models_dir: Path | str, version: str) -> None:
    """Make ``version`` the model in use (atomically replaces CURRENT)."""
    root = Path(models_dir)
    if not (_version_dir(root, version) / MODEL_FILE).is_file():
        raise ModelNotFound(f"no model version {version} in {root}")
    write_durably(root / CURRENT_FILE, version + "\n")


def current_version(models_dir: Path | str) -> str | None:
    """The version named in CURRENT, or None when no version has been made current."""
    try:
        text = (Path(models_dir) / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _VERSION.fullmatch(text):
        raise ModelError(f"{Path(models_dir) / CURRENT_FILE}: not a model version: {text[:60]!r}")
    return text


def _version_dir(root: Path, version: str) -> Path:
    # The pattern also keeps a version name from reaching outside models_dir ("../x").
    if not _VERSION.fullmatch(version):
        raise ModelNotFound(f"{version!r} is not a model version name (YYYYMMDD-HHMMSS[-name])")
    return root / version


def _version_dirs(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.iterdir()):
        if path.is_dir() and _VERSION.fullmatch(path.name):
            yield path


def _types_in(path: Path) -> Iterator[str]:
    """Every type named in a skops file's schema, read as JSON: nothing is imported or built."""
    try:
        with zipfile.ZipFile(path) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ModelError(f"{path}: not a readable skops file: {exc}") from exc
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node:
                yield f"{node.get('__module__')}.{node.get('__class__')}"
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def write_durably(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: a crash leaves the old
    contents or the new, never half a file. Also used for the promotion HISTORY."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _fsync(directory: Path) -> None:
    """Flush a directory's entries (new files, renames) to disk where the OS allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows cannot open directories
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
