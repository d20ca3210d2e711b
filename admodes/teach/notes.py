"""The teaching notes admodes starts from, cited by title: the original Chinese and an English translation.

Five notes on automatic differentiation and PyTorch's autograd, in Chinese, underlie the classroom tools and
the complexity claims; they are not part of the repository. Output that leans on one cites it by its title
(and the section), never by a file number a student cannot look up.

    >>> print(cite("004"))  # doctest: +NORMALIZE_WHITESPACE
    the teaching note “一、PyTorch 核心模块” (“I. PyTorch's core modules”), section “1.2.5 自动微分 (1) 计算图概念”
    (“1.2.5 Automatic differentiation, (1) the idea of a computational graph”)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Note", "NOTES", "cite"]


@dataclass(frozen=True)
class Note:
    """A teaching note's title and the section cited, each in Chinese and in English.

    >>> NOTES["003"].title_en
    'Computational graphs'
    """

    title_zh: str
    title_en: str
    section_zh: str = ""
    section_en: str = ""


NOTES = {
    "000": Note("一、原理，首先理解计算图和链式求导",
                "I. The principle: first understand the computational graph and the chain rule"),
    "001": Note("pytorch自动微分原理", "How PyTorch's automatic differentiation works"),
    "002": Note("自动求导里面其实最主要的就是……",
                "What matters most in automatic differentiation is ... (untitled: its opening words)"),
    "003": Note("计算图", "Computational graphs"),
    "004": Note("一、PyTorch 核心模块", "I. PyTorch's core modules",
                "1.2.5 自动微分 (1) 计算图概念",
                "1.2.5 Automatic differentiation, (1) the idea of a computational graph"),
}
"""The notes by their number (the order they were written in)."""


def cite(number, ascii=False):
    """A citation of note ``number`` that a reader can follow: its title and section, with translations
    (``ascii``: the English alone, in plain quotes, for a terminal that shows only ASCII).

    >>> cite("003", ascii=True)
    'the teaching note "Computational graphs"'
    """
    note = NOTES[number]
    if ascii:
        return f'the teaching note "{note.title_en}"' + (f', section "{note.section_en}"' if note.section_en else "")
    text = f"the teaching note “{note.title_zh}” (“{note.title_en}”)"
    if note.section_zh:
        text += f", section “{note.section_zh}” (“{note.section_en}”)"
    return text
