"""Chinese word segmentation for the classifier: jieba, set up once per process.

The module-level functions here are what the features call, on text the classifier has passed
through :func:`normalize` once: :func:`words` (the word vectorizer's tokenizer; a plain module
function, it is saved in a model file by reference, ``yuqing.models.tokenize.words``, never as
code) and :func:`punctuation_to_spaces` (before character n-grams).

Two engines run the same segmentation: jieba's own dictionary, user dictionary, DAG and HMM.
``rjieba`` (jieba-rs, jieba compiled) is used when it is installed: segmentation is most of the
classifier's cost, and it segments about 17 times faster. The reference is the pure-Python
``jieba`` package, used when rjieba is not available; a test checks that both give the same
tokens on the whole seed corpus, so a model trained with one reads the same with the other.

Python jieba is initialised lazily, once per process, on a private :class:`jieba.Tokenizer` (not
the global ``jieba.dt``) so that nothing else in the process that uses jieba sees or changes our
user dictionary, and so that we choose where its cache file lives (see :func:`configure`).
rjieba keeps its dictionary compiled in and needs no cache file.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jieba

from yuqing.crawlers.chinese import to_simplified
from yuqing.models.errors import ModelError

#: Runs of characters that are neither letters nor digits (punctuation, symbols, emoji,
#: whitespace, underscores). One rule for both feature kinds: word tokens made only of these
#: are dropped, and the character n-grams never span them.
_NON_WORD = re.compile(r"[\W_]+")

# jieba trusts a cache of its default dictionary without comparing dates, so the name carries
# jieba's version: an upgrade must not read the previous version's prefix dictionary.
_CACHE_FILE = f"jieba-{jieba.__version__}.cache"
_USERDICT = "userdict.txt"

_lock = threading.RLock()
_tokenizer: jieba.Tokenizer | None = None
_segment: Callable[[str], list[str]] | None = None
_cache_dir: Path | None = None


def normalize(text: str) -> str:
    """Traditional to simplified, fold full-width forms and compatibility characters (NFKC), and
    lower-case Latin letters.

    Scraped posts mix scripts (a reposted Hong Kong item reads 發佈 where the rest say 发布) and
    full-width digits and letters (２０２４, ＰＭ２.５) with ASCII ones; folding makes each pair the
    same feature. Stored posts are simplified already; seed examples and ``classify`` input may
    not be.
    """
    return unicodedata.normalize("NFKC", to_simplified(text)).lower()


def blank_punctuation(text: str) -> str:
    """:func:`normalize`, then :func:`punctuation_to_spaces`."""
    return punctuation_to_spaces(normalize(text))


def punctuation_to_spaces(text: str) -> str:
    """Every run of punctuation, symbols and spaces becomes one space (``text`` is normalised
    already). Used before character n-grams so that an n-gram never straddles a comma or an
    emoji."""
    return _NON_WORD.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Segment ``text`` with jieba (precise mode) and drop whitespace and punctuation tokens."""
    return [w for w in segmenter()(text) if not _NON_WORD.fullmatch(w)]


def segmenter() -> Callable[[str], list[str]]:
    """The process's segmentation function: rjieba's when installed, else Python jieba's."""
    global _segment
    if _segment is not None:
        return _segment
    with _lock:
        if _segment is None:
            _segment = _rjieba_segmenter() or _python_segmenter
    return _segment


def _python_segmenter(text: str) -> list[str]:
    return get_tokenizer().lcut(text)


def _rjieba_segmenter() -> Callable[[str], list[str]] | None:
    try:
        import rjieba
    except ImportError:
        return None
    engine = rjieba.Jieba()
    for word, tag in _read_userdict():
        # No frequency, as for Python jieba: one just high enough to keep the word whole.
        engine.add_word(word, None, tag)
    return engine.cut


def configure(cache_dir: Path | str) -> None:
    """Choose the directory for jieba's prefix-dictionary cache; call before the first use.

    Calling it again with the same directory is harmless; a different directory after jieba has
    been initialised raises :class:`ModelError`, because the cache location can no longer change.
    """
    global _cache_dir
    wanted = Path(cache_dir).expanduser().resolve()
    with _lock:
        if _tokenizer is not None and wanted != _cache_dir:
            raise ModelError(
                f"jieba is already initialised with cache directory {_cache_dir}; "
                f"configure({wanted}) must come before the first segmentation"
            )
        _cache_dir = wanted


def cache_file() -> Path | None:
    """Where this process keeps (or will keep) jieba's cache file; None if it keeps none."""
    folder = _cache_dir or _default_cache_dir()
    return folder / _CACHE_FILE if folder is not None else None


def get_tokenizer() -> jieba.Tokenizer:
    """The process's jieba tokenizer, initialised on first call with the user dictionary."""
    global _tokenizer, _cache_dir
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            if _cache_dir is None:
                _cache_dir = _default_cache_dir()
            _tokenizer = _build_tokenizer(_cache_dir)
    return _tokenizer


def _build_tokenizer(cache_dir: Path | None) -> jieba.Tokenizer:
    # jieba logs every initialisation at DEBUG to its own stderr handler: noise on the command
    # line and in crawler logs. Its warnings and errors still get through.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.cache_file = _CACHE_FILE
    # Never jieba's default cache path, the shared /tmp/jieba.cache: the crawler's child
    # processes and test workers start together, each finds the file missing, rebuilds it and
    # renames its copy over the others'; on a multi-user machine the file may belong to someone
    # else, so the rename fails and every start pays the full rebuild; and jieba unmarshals
    # whatever that world-writable path holds. A directory of our own has none of these issues.
    if cache_dir is not None and _usable(cache_dir):
        tokenizer.tmp_dir = str(cache_dir)
        tokenizer.initialize()
    else:
        # Nowhere private to keep a cache: build the dictionary in memory (about a second) in a
        # throwaway directory, which jieba's cache dump then lands in and disappears with.
        with tempfile.TemporaryDirectory(prefix="yuqing-jieba-") as throwaway:
            tokenizer.tmp_dir = throwaway
            tokenizer.initialize()
    for word, tag in _read_userdict():
        # No frequency: jieba then picks one just high enough to keep the word whole.
        tokenizer.add_word(word, tag=tag)
    return tokenizer


def _read_userdict() -> list[tuple[str, str | None]]:
    """The user dictionary's entries: ``word [tag]`` per line, ``#`` starts a comment line."""
    text = resources.files("yuqing.models").joinpath(_USERDICT).read_text(encoding="utf-8")
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) > 2 or _NON_WORD.search(parts[0]):
            raise ModelError(f"{_USERDICT} line {number}: expected 'word [tag]', got {line!r}")
        entries.append((parts[0], parts[1] if len(parts) == 2 else None))
    return entries


def _default_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/yuqing/jieba``, else ``~/.cache/yuqing/jieba``; None without a home."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no home directory (some service accounts)
        return None
    return Path(base) / "yuqing" / "jieba"


def _usable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return False
    return os.access(folder, os.W_OK)
