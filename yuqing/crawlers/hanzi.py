"""The ranges of Chinese ideographs, written once for the rules that need them.

The character repairs (``mojibake``) judge whether a run decodes to Chinese text, and the pinyin
rule (``pinyin``) removes an annotation only right after a Chinese character; both must agree on
what a Chinese character is, so the ranges live here rather than in either of them.
"""

from __future__ import annotations

# CJK Unified Ideographs with extension A, the compatibility ideographs, and the supplementary
# planes (extensions B to G), as a regular-expression character-class body.
CJK_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
